package io.shardgrid.server.placement.plan;

/** Moves a partition's leadership to another of its replicas. */
public record TransferLeader(int partitionId, String fromNodeId, String toNodeId) implements Operator {
}
