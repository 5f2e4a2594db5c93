package io.shardgrid.server.placement.plan;

import java.util.List;

/**
 * Computes the operators that move a cluster toward balance. Pure: no Ratis, no gRPC, no clock,
 * deterministic for the same input.
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

    /** The operators that take {@code partitions} on {@code nodes} to a balanced placement. */
    public List<Operator> plan(List<PartitionView> partitions, List<NodeView> nodes) {
        throw new UnsupportedOperationException("the planner is being written");
    }
}
