package io.shardgrid.server.placement.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Computes the operators that move a cluster toward balance: RF replicas per partition on distinct
 * eligible nodes (distinct zones where labelled), replica and leader counts per node within one of
 * each other, and the fewest moves: a joining node takes its share from the busiest nodes, a
 * leaving node's replicas go to the least loaded, nothing else moves. Pure: no Ratis, no gRPC, no
 * clock, deterministic for the same input.
 */
public final class PlacementPlanner {
    private final int replicationFactor;

    public PlacementPlanner(int replicationFactor) {
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " must be at least 1");
        }
        this.replicationFactor = replicationFactor;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    /**
     * The operators that take {@code partitions} on {@code nodes} to a balanced placement: replica
     * moves first (each a source paired with a target), then leader transfers. Applying them all
     * and planning again yields no replica moves.
     */
    public List<Operator> plan(List<PartitionView> partitions, List<NodeView> nodes) {
        List<NodeView> eligible = nodes.stream().filter(NodeView::eligible)
            .sorted(Comparator.comparing(NodeView::nodeId)).toList();
        if (eligible.isEmpty()) {
            return List.of();
        }
        ReplicaPlacement placement = new ReplicaPlacement(partitions, eligible,
            Math.min(replicationFactor, eligible.size())).solve();
        List<Operator> plan = new ArrayList<>(placement.moves());
        plan.addAll(new LeaderBalancer(eligible).transfers(partitions, placement));
        return plan;
    }
}
