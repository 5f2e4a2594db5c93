package io.shardgrid.server.placement.plan;

/** One step the planner asks for; the executor runs it as safe raft steps. */
public sealed interface Operator permits MoveReplica, TransferLeader {
    int partitionId();
}
