package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.DivisionInfo;

/**
 * Makes reads of each local partition leader linearizable: a raft read-index round, which reads
 * within a short lease window of a passed round skip (see {@link ReadBarrier}).
 */
final class PartitionReadBarriers {
    /**
     * Reads within this long of a passed read-index round skip the next one (see {@link ReadBarrier});
     * a tenth of the 1 s minimum election timeout is the safety margin, half of it is used.
     */
    static final long LEASE_READ_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Map<Integer, PartitionReads> partitions = new ConcurrentHashMap<>();
    /** The local division's info for a partition, or null without a local replica. */
    private final IntFunction<DivisionInfo> info;
    private final LocalRaftSubmitter submitter;
    private final LongSupplier mapEpoch;

    PartitionReadBarriers(IntFunction<DivisionInfo> info, LocalRaftSubmitter submitter, LongSupplier mapEpoch) {
        this.info = info;
        this.submitter = submitter;
        this.mapEpoch = mapEpoch;
    }

    /** A partition's barrier, and how many reads passed it: the placement driver's measure of read load. */
    private record PartitionReads(ReadBarrier barrier, LongAdder count) {
    }

    /** Completes once every write acknowledged before this call is visible in the local store. */
    CompletableFuture<Void> await(int partitionId) {
        PartitionReads reads = partitions.computeIfAbsent(partitionId, p -> new PartitionReads(
            new ReadBarrier(() -> readIndexRound(p), () -> leaderTerm(p), LEASE_READ_WINDOW_NS), new LongAdder()));
        reads.count().increment();
        return reads.barrier().await();
    }

    /** Linearizable reads of {@code partitionId} that asked for a barrier here since start. */
    long reads(int partitionId) {
        PartitionReads reads = partitions.get(partitionId);
        return reads == null ? 0 : reads.count().sum();
    }

    /** The current term while this replica leads {@code partitionId}, else -1. */
    private long leaderTerm(int partitionId) {
        DivisionInfo local = info.apply(partitionId);
        return local != null && local.isLeader() && local.isLeaderReady() ? local.getCurrentTerm() : -1;
    }

    private CompletableFuture<Void> readIndexRound(int partitionId) {
        RaftClientRequest request = submitter.request(GroupIds.partition(partitionId), Message.EMPTY,
            RaftClientRequest.readRequestType());
        return submitter.submit(request).handle((reply, failure) -> {
            GridException error = failure != null
                ? RaftErrors.fromThrowable(failure, partitionId, mapEpoch.getAsLong())
                : RaftErrors.fromReply(reply, partitionId, mapEpoch.getAsLong());
            if (error != null) {
                throw error;
            }
            return null;
        });
    }
}
