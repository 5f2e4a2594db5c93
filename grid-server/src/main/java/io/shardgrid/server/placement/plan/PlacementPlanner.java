package io.shardgrid.server.placement.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Computes the operators that move a cluster toward balance: RF replicas per partition on distinct
 * eligible nodes (distinct zones where labelled), replica and leader counts per node within one of
 * each other, and the fewest moves: a joining node takes its share from the busiest nodes, a
 * leaving node's replicas go to the least loaded, nothing else moves. With a {@link SplitPlanner} it
 * also asks for splits: while one is wanted, a plan holds back the moves that only even out counts
 * (the next split would undo them) and keeps those that restore replicas of dead, draining or
 * short partitions. Pure: no Ratis, no gRPC, no clock, deterministic for the same input.
 */
public final class PlacementPlanner {
    private final int replicationFactor;
    private final SplitPlanner splits;

    public PlacementPlanner(int replicationFactor) {
        this(replicationFactor, SplitPlanner.OFF);
    }

    public PlacementPlanner(int replicationFactor, SplitPlanner splits) {
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " must be at least 1");
        }
        this.replicationFactor = replicationFactor;
        this.splits = splits;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    /**
     * The operators that take {@code partitions} on {@code nodes} to a balanced placement: a split
     * if the cluster needs one, replica moves (each a source paired with a target), then leader
     * transfers. Without a split, applying them all and planning again yields no replica moves.
     */
    public List<Operator> plan(List<PartitionView> partitions, List<NodeView> nodes) {
        List<NodeView> eligible = nodes.stream().filter(NodeView::eligible)
            .sorted(Comparator.comparing(NodeView::nodeId)).toList();
        if (eligible.isEmpty()) {
            return List.of();
        }
        ReplicaPlacement placement = new ReplicaPlacement(partitions, eligible,
            Math.min(replicationFactor, eligible.size())).solve();
        Optional<SplitPartition> split = splits.choose(partitions, eligible.size(), replicationFactor);
        List<Operator> plan = new ArrayList<>();
        split.ifPresent(plan::add);
        List<String> eligibleIds = eligible.stream().map(NodeView::nodeId).toList();
        for (Operator move : placement.moves()) {
            if (split.isEmpty() || repairs((MoveReplica) move, eligibleIds)) {
                plan.add(move);
            }
        }
        plan.addAll(new LeaderBalancer(eligible).transfers(partitions, placement));
        return plan;
    }

    /** Whether a move restores a replica (adds one, or takes it off a node that may not keep it) rather than evens counts. */
    private static boolean repairs(MoveReplica move, List<String> eligibleIds) {
        return move.fromNodeId().isEmpty() || move.toNodeId().isEmpty() || !eligibleIds.contains(move.fromNodeId());
    }
}
