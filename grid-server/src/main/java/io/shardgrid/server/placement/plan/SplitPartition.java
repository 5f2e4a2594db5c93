package io.shardgrid.server.placement.plan;

/**
 * Splits a partition in two: it keeps the lower half of its hash range and a new partition on the
 * same replicas takes the upper half (see {@code PartitionSplitter}). No bytes cross the network;
 * the planner's later rounds move the halves' replicas and leaders like any other partition.
 *
 * @param reason why the planner asks for it, for {@code grid admin rebalance --dry-run} and the log
 */
public record SplitPartition(int partitionId, String reason) implements Operator {
    public SplitPartition {
        reason = reason == null ? "" : reason;
    }
}
