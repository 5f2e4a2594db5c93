package io.shardgrid.server.placement.plan;

import java.util.List;

/**
 * One partition as the planner sees it.
 *
 * @param replicas voting replicas' node ids
 * @param leader   the current leader's node id; empty when unknown
 * @param bytes    approximate live bytes, the cost of copying one replica
 */
public record PartitionView(int partitionId, List<String> replicas, String leader, long bytes) {
    public PartitionView {
        replicas = List.copyOf(replicas);
        leader = leader == null ? "" : leader;
    }
}
