package io.shardgrid.common.routing;

import java.util.List;

/**
 * Who holds one partition: its voting replicas, learners still catching up, the last known leader
 * (a hint: may be stale, empty when unknown) and {@code confEpoch}, which bumps on every change of
 * the replica set; and which keys it owns, its {@code range} of the hash space (null only in a map
 * read from a form without ranges, where partition {@code i} of {@code P} owns the {@code i}-th
 * equal range; {@link PartitionMap} fills it in).
 *
 * <p>{@code splitParent} is -1, except for a partition being split off {@code splitParent}: it is
 * named (its id reserved, its replicas those of the parent) but owns nothing yet; the split entry
 * in the parent's log creates its group, and the map then hands it {@code range}.
 */
public record PartitionAssignment(int partitionId, List<String> replicas, List<String> learners, String leaderHint,
                                  long confEpoch, HashRange range, int splitParent) {
    public static final int NO_PARENT = -1;

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
        if (splitParent < NO_PARENT || splitParent == partitionId) {
            throw new IllegalArgumentException("partition " + partitionId + " cannot be split off " + splitParent);
        }
        if (splitParent != NO_PARENT && range == null) {
            throw new IllegalArgumentException("partition " + partitionId + " is being split off " + splitParent
                + " but has no range to take");
        }
    }

    /** An active partition whose range is not stated (the map fills in its equal share). */
    public PartitionAssignment(int partitionId, List<String> replicas, List<String> learners, String leaderHint,
                               long confEpoch) {
        this(partitionId, replicas, learners, leaderHint, confEpoch, null, NO_PARENT);
    }

    public boolean hasLeaderHint() {
        return !leaderHint.isEmpty();
    }

    /** Whether this partition is still being split off its parent: it owns no keys yet. */
    public boolean splitting() {
        return splitParent != NO_PARENT;
    }

    public PartitionAssignment withLeader(String nodeId) {
        return new PartitionAssignment(partitionId, replicas, learners, nodeId, confEpoch, range, splitParent);
    }

    public PartitionAssignment withReplicas(List<String> newReplicas, List<String> newLearners) {
        return new PartitionAssignment(partitionId, newReplicas, newLearners, leaderHint, confEpoch + 1, range,
            splitParent);
    }

    public PartitionAssignment withRange(HashRange newRange) {
        return new PartitionAssignment(partitionId, replicas, learners, leaderHint, confEpoch, newRange, splitParent);
    }

    /** This partition done splitting: it owns its range from now on. */
    public PartitionAssignment asSplitDone() {
        return new PartitionAssignment(partitionId, replicas, learners, leaderHint, confEpoch, range, NO_PARENT);
    }
}
