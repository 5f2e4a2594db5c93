package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * Group commit for the partitions this node leads: one {@link PartitionWriteBatcher} per partition,
 * and how many client writes the raft entries they append carry.
 */
final class PartitionWrites implements AutoCloseable {
    private final RatisNode node;
    private final ServerConfig config;
    private final Clock clock;
    private final ExecutorService batchExecutor;
    private final Map<Integer, PartitionWriteBatcher> batchers = new ConcurrentHashMap<>();
    private final LongAdder entriesAppended = new LongAdder();
    private final LongAdder writesAppended = new LongAdder();
    /** Per partition: the placement driver's measure of load (a partition's rate, from its leader). */
    private final Map<Integer, LongAdder> writesByPartition = new ConcurrentHashMap<>();

    PartitionWrites(RatisNode node, ServerConfig config, Clock clock) {
        this.node = node;
        this.config = config;
        this.clock = clock;
        this.batchExecutor = Executors.newFixedThreadPool(2, DaemonThreads.numbered(config.nodeId() + "-batcher"));
    }

    /** Queues {@code commands} on the partition's batcher (the caller checked that this node hosts it). */
    List<CompletableFuture<WriteResult>> submit(int partitionId, List<WriteCommand> commands) {
        return batchers.computeIfAbsent(partitionId, p -> {
            LongAdder partitionWrites = writesByPartition.computeIfAbsent(p, k -> new LongAdder());
            return new PartitionWriteBatcher(p, node, config, clock, batchExecutor, writes -> {
                countAppended(writes);
                partitionWrites.add(writes);
            });
        }).submitAll(commands);
    }

    /** Raft entries this node's partition leaders appended for client writes since start. */
    long entriesAppended() {
        return entriesAppended.sum();
    }

    /** Client writes carried by those entries: writes per entry is how well group commit works. */
    long writesAppended() {
        return writesAppended.sum();
    }

    /** Client writes this node appended to {@code partitionId}'s log while leading it, since start. */
    long writesAppended(int partitionId) {
        LongAdder writes = writesByPartition.get(partitionId);
        return writes == null ? 0 : writes.sum();
    }

    private void countAppended(int writes) {
        entriesAppended.increment();
        writesAppended.add(writes);
    }

    @Override
    public void close() {
        batchExecutor.shutdownNow();
    }
}
