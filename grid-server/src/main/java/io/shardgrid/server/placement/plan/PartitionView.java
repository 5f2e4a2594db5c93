package io.shardgrid.server.placement.plan;

import java.util.List;

/**
 * One partition as the planner sees it.
 *
 * @param replicas voting replicas' node ids
 * @param leader   the current leader's node id; empty when unknown
 * @param bytes    approximate live bytes, the cost of copying one replica
 * @param rangeBits how deep its hash range is split: it owns 2^-rangeBits of the hash space
 * @param sustainedOpsPerSec the operation rate (writes and linearizable reads) its leader reported through the whole hot window
 *                 (the lowest rate of that window); 0 when unknown or not measured for a whole window
 */
public record PartitionView(int partitionId, List<String> replicas, String leader, long bytes, int rangeBits,
                            long sustainedOpsPerSec) {
    public PartitionView {
        replicas = List.copyOf(replicas);
        leader = leader == null ? "" : leader;
    }

    /** A partition whose range and load do not matter (placement alone). */
    public PartitionView(int partitionId, List<String> replicas, String leader, long bytes) {
        this(partitionId, replicas, leader, bytes, 0, 0);
    }
}
