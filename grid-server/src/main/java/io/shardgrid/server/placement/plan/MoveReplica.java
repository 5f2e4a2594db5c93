package io.shardgrid.server.placement.plan;

/**
 * Moves one replica of a partition: add {@code toNodeId} (as a learner, promoted once caught up),
 * then remove {@code fromNodeId}. An empty {@code fromNodeId} only adds (the partition is short of
 * replicas); an empty {@code toNodeId} only removes (it has too many).
 */
public record MoveReplica(int partitionId, String fromNodeId, String toNodeId, long bytesToCopy) implements Operator {
    public MoveReplica {
        fromNodeId = fromNodeId == null ? "" : fromNodeId;
        toNodeId = toNodeId == null ? "" : toNodeId;
        if (fromNodeId.isEmpty() && toNodeId.isEmpty()) {
            throw new IllegalArgumentException("a move of partition " + partitionId + " needs a source or a target");
        }
    }
}
