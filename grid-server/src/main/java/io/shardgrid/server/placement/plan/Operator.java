package io.shardgrid.server.placement.plan;

/** One step the planner asks for; the executor runs it as safe raft steps. */
public sealed interface Operator permits MoveReplica, TransferLeader, SplitPartition {
    int partitionId();

    /** The node the operator brings a replica or leadership to; empty when none. */
    default String toNodeId() {
        return "";
    }
}
