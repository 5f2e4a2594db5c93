package io.shardgrid.server.placement.plan;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.Partitioner;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * Decides whether the cluster needs one more partition, and which to split. Pure: the same views
 * give the same answer.
 *
 * <p>Design notes. The figure kept in a band is <em>replicas per node</em>, P·min(RF, N)/N on N
 * eligible nodes: each replica is a raft group the node pays for (log, threads, heartbeats), and
 * P ≥ N is what lets every node lead something. With target T ({@code --partitions-per-node}):
 * <ul>
 *   <li>below the band — fewer than T replicas per node on average, or fewer partitions than
 *   nodes — the widest range is split (ties: more bytes, then the lower id), so ranges stay even;</li>
 *   <li>a partition whose leader reported at least {@code hotOpsPerSec} operations per second (writes
 *   plus linearizable reads) for the whole hot window is split (the hottest first), and else one
 *   holding at least {@code splitBytes} live bytes (the biggest first), as long as the split keeps the
 *   cluster at or under the band's ceiling of 2T replicas per node: a cluster full of data must not
 *   turn into thousands of raft groups;</li>
 *   <li>nothing merges: a cluster that loses nodes, or was bootstrapped above the band, stays above it.</li>
 * </ul>
 * One split per plan: the driver runs one at a time and plans again once it is done. A range at
 * {@link HashRange#MAX_BITS} cannot be halved, and the map holds at most {@link Partitioner#MAX_PARTITIONS}.
 */
public final class SplitPlanner {
    /** Splits nothing. */
    public static final SplitPlanner OFF = new SplitPlanner(0, 0);

    private final int partitionsPerNode;
    private final long hotOpsPerSec;
    private final long splitBytes;

    /**
     * @param partitionsPerNode target replicas per node (T); 0 = never split to fill the band
     * @param hotOpsPerSec      sustained operations per second that make a partition hot; 0 = never split for load
     * @param splitBytes        live bytes that make a partition big enough to split; 0 = never split for size
     */
    public SplitPlanner(int partitionsPerNode, long hotOpsPerSec, long splitBytes) {
        if (partitionsPerNode < 0 || hotOpsPerSec < 0 || splitBytes < 0) {
            throw new IllegalArgumentException("partitions per node " + partitionsPerNode + ", hot ops/s "
                + hotOpsPerSec + " and split bytes " + splitBytes + " must not be negative");
        }
        this.partitionsPerNode = partitionsPerNode;
        this.hotOpsPerSec = hotOpsPerSec;
        this.splitBytes = splitBytes;
    }

    /** Without splits for size. */
    public SplitPlanner(int partitionsPerNode, long hotOpsPerSec) {
        this(partitionsPerNode, hotOpsPerSec, 0);
    }

    /**
     * The split {@code partitions} on {@code eligibleNodes} nodes need now, if any.
     *
     * @param partitions every partition of the map (none splitting)
     */
    public Optional<SplitPartition> choose(List<PartitionView> partitions, int eligibleNodes, int replicationFactor) {
        if (eligibleNodes < 1 || partitions.isEmpty() || partitions.size() >= Partitioner.MAX_PARTITIONS) {
            return Optional.empty();
        }
        int count = partitions.size();
        int replicasEach = Math.min(replicationFactor, eligibleNodes);
        if (count + 1 <= Math.max(ceiling(eligibleNodes, replicasEach), wanted(eligibleNodes, replicasEach))) {
            Optional<SplitPartition> forLoad = hottest(partitions).or(() -> biggest(partitions));
            if (forLoad.isPresent()) {
                return forLoad;
            }
        }
        if (partitionsPerNode == 0 || count >= wanted(eligibleNodes, replicasEach)) {
            return Optional.empty();
        }
        String reason = count < eligibleNodes
            ? String.format("%d partitions < %d nodes", count, eligibleNodes)
            : String.format("%.1f replicas/node < %d", (double) count * replicasEach / eligibleNodes, partitionsPerNode);
        return partitions.stream().filter(p -> p.rangeBits() < HashRange.MAX_BITS)
            .min(Comparator.comparingInt(PartitionView::rangeBits)
                .thenComparing(PartitionView::bytes, Comparator.reverseOrder())
                .thenComparingInt(PartitionView::partitionId))
            .map(p -> new SplitPartition(p.partitionId(), "band: " + reason));
    }

    /** The partition that ran hottest through the whole window, if one reached the threshold. */
    private Optional<SplitPartition> hottest(List<PartitionView> partitions) {
        return highest(partitions, PartitionView::sustainedOpsPerSec, hotOpsPerSec,
            ops -> String.format("hot: %d ops/s >= %d", ops, hotOpsPerSec));
    }

    /** The partition holding the most live bytes, if one reached the size threshold. */
    private Optional<SplitPartition> biggest(List<PartitionView> partitions) {
        return highest(partitions, PartitionView::bytes, splitBytes,
            bytes -> String.format("big: %d MiB >= %d MiB", bytes >> 20, splitBytes >> 20));
    }

    /** The splittable partition with the highest {@code measure} at or over {@code threshold} (0 = none); ties: the lower id. */
    private static Optional<SplitPartition> highest(List<PartitionView> partitions, ToLongFunction<PartitionView> measure,
                                                    long threshold, LongFunction<String> reason) {
        return partitions.stream()
            .filter(p -> threshold > 0 && measure.applyAsLong(p) >= threshold)
            .filter(p -> p.rangeBits() < HashRange.MAX_BITS)
            .max(Comparator.comparingLong(measure).thenComparing(PartitionView::partitionId, Comparator.reverseOrder()))
            .map(p -> new SplitPartition(p.partitionId(), reason.apply(measure.applyAsLong(p))));
    }

    /** The fewest partitions that put the cluster in the band: T replicas per node, and one partition per node. */
    int wanted(int nodes, int replicasEach) {
        if (partitionsPerNode == 0) {
            return 0;
        }
        long perNode = ((long) partitionsPerNode * nodes + replicasEach - 1) / replicasEach;
        return (int) Math.min(Partitioner.MAX_PARTITIONS, Math.max(nodes, perNode));
    }

    /** The most partitions a hot split may reach: 2T replicas per node (no cap when T is 0). */
    int ceiling(int nodes, int replicasEach) {
        if (partitionsPerNode == 0) {
            return Partitioner.MAX_PARTITIONS;
        }
        return (int) Math.min(Partitioner.MAX_PARTITIONS, 2L * partitionsPerNode * nodes / replicasEach);
    }

    /** Whether {@code partitions} on {@code nodes} eligible nodes sit in the band [T, 2T] replicas per node. */
    public boolean inBand(int partitions, int nodes, int replicationFactor) {
        int replicasEach = Math.min(replicationFactor, nodes);
        return partitions >= wanted(nodes, replicasEach) && partitions <= Math.max(ceiling(nodes, replicasEach),
            wanted(nodes, replicasEach));
    }
}
