package io.shardgrid.common.routing;

import java.util.List;

/**
 * Who holds one partition: its voting replicas, learners still catching up, the last known leader
 * (a hint: may be stale, empty when unknown) and {@code confEpoch}, which bumps on every change of
 * the replica set.
 */
public record PartitionAssignment(
        int partitionId, List<String> replicas, List<String> learners, String leaderHint, long confEpoch) {

    public PartitionAssignment {
        if (partitionId < 0) {
            throw new IllegalArgumentException("partition id " + partitionId + " is negative");
        }
        replicas = List.copyOf(replicas);
        learners = List.copyOf(learners);
        leaderHint = leaderHint == null ? "" : leaderHint;
        if (confEpoch < 0) {
            throw new IllegalArgumentException("conf epoch " + confEpoch + " is negative");
        }
    }

    public boolean hasLeaderHint() {
        return !leaderHint.isEmpty();
    }

    public PartitionAssignment withLeader(String nodeId) {
        return new PartitionAssignment(partitionId, replicas, learners, nodeId, confEpoch);
    }

    public PartitionAssignment withReplicas(List<String> newReplicas, List<String> newLearners) {
        return new PartitionAssignment(partitionId, newReplicas, newLearners, leaderHint, confEpoch + 1);
    }
}
