package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.consensus.codec.LogEntryDescriptor;
import io.shardgrid.server.consensus.codec.LogEntryEncoder;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Group commit for one partition: concurrent writes queue here and are drained into one raft entry
 * per batch, each op keeping its own future.
 *
 * <p>Design notes: a batch closes when it reaches {@code maxBatchOps} or {@code maxBatchBytes}, or
 * as soon as the queue is empty — there is no linger timer, so a lone write goes out at once and
 * a burst rides together. At most {@value #MAX_ENTRIES_IN_FLIGHT} entry per partition is in
 * flight: while it commits, new writes gather into the next batch, so under load each fsync and
 * each replication round carries many writes instead of one. The queue is
 * bounded: past {@code maxQueuedWrites} a write fails fast with RESOURCE_EXHAUSTED instead of
 * growing memory.
 *
 * <p>Memory admission happens here, as each write is taken into a batch: a write the local store
 * does not {@code admit} (the node budget has no room for it) stays out of the log and completes
 * with {@code FULL}. Deciding on the leader alone, before the log, is what lets every replica apply
 * every entry; the entries in flight are not yet counted, so the budget may overshoot by what
 * they allocate (docs/MEMORY.md).
 *
 * <p>Threads: callers only queue ({@link #submitAll} queues a whole client message first, so its
 * writes to this partition share one entry); batches are drained on {@code executor}, which appends
 * each entry to the Ratis division itself ({@code LocalRaftSubmitter.submitOnCaller}). Draining on the
 * caller's gRPC thread instead was measured and dropped: under 50 concurrent writers it cut
 * throughput by about a third (our guess: threads waiting on the division's lock; see bench/README,
 * "Replicated writes").
 */
final class PartitionWriteBatcher {
    private final int partitionId;
    private final RatisNode node;
    private final Clock clock;
    private final Executor executor;
    /** Told the number of writes of every entry appended: group commit's figures. */
    private final IntConsumer onAppended;
    private final int maxOps;
    private final int maxBytes;
    private final int maxQueued;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Entries submitted and not yet answered; capped so that, under load, batches grow instead. */
    private final AtomicInteger entriesInFlight = new AtomicInteger();
    private final Runnable drainTask = this::drainOnce;

    // Used only by the draining thread (one at a time, guarded by 'draining').
    private final LogEntryEncoder encoder = new LogEntryEncoder();
    private final ExpandableArrayBuffer entryBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer expected = new UnsafeBuffer(new byte[0]);
    /** The leader time stamped on the last entry: the next one never goes below it. */
    private long lastStampMs;

    /**
     * One: while an entry commits, the next batch gathers. Two were measured against one, alternately
     * on warm clusters: one carried ~35 % more writes per entry and did 17–25 % more 50 × 1 SETs, the
     * other shapes within noise (bench/README, "Third round").
     */
    static final int MAX_ENTRIES_IN_FLIGHT = 1;
    /** An increment's value: a signed 64-bit integer in decimal, "-9223372036854775808" at most. */
    private static final int LONGEST_DECIMAL = 20;
    private static final WriteResult REFUSED_FOR_MEMORY = new WriteResult(PartitionStore.FULL, false, 0);

    private record Pending(WriteCommand command, CompletableFuture<WriteResult> future) {
    }

    PartitionWriteBatcher(int partitionId, RatisNode node, ServerConfig config, Clock clock, Executor executor,
                          IntConsumer onAppended) {
        this.partitionId = partitionId;
        this.node = node;
        this.clock = clock;
        this.executor = executor;
        this.onAppended = onAppended;
        this.maxOps = config.maxBatchOps();
        this.maxBytes = config.maxBatchBytes();
        this.maxQueued = config.maxQueuedWrites();
    }

    /**
     * Queues {@code commands} in order; they share an entry as far as the batch limits allow.
     * All or none are queued: past {@code maxQueuedWrites} every one fails with RESOURCE_EXHAUSTED.
     */
    List<CompletableFuture<WriteResult>> submitAll(List<WriteCommand> commands) {
        List<CompletableFuture<WriteResult>> futures = new ArrayList<>(commands.size());
        if (queued.addAndGet(commands.size()) > maxQueued) {
            queued.addAndGet(-commands.size());
            GridException full = new GridException(GridErrorCode.RESOURCE_EXHAUSTED,
                "partition " + partitionId + " has " + maxQueued + " writes queued; retry later");
            for (int i = 0; i < commands.size(); i++) {
                futures.add(CompletableFuture.failedFuture(full));
            }
            return futures;
        }
        for (WriteCommand command : commands) {
            CompletableFuture<WriteResult> future = new CompletableFuture<>();
            queue.add(new Pending(command, future));
            futures.add(future);
        }
        scheduleDrain();
        return futures;
    }

    private void scheduleDrain() {
        if (!queue.isEmpty() && entriesInFlight.get() < MAX_ENTRIES_IN_FLIGHT && draining.compareAndSet(false, true)) {
            executor.execute(drainTask);
        }
    }

    /** Sends one batch, then hands the executor back so other partitions get their turn. */
    private void drainOnce() {
        List<Pending> batch = new ArrayList<>();
        List<Pending> refused = new ArrayList<>();
        boolean counted = false;
        try {
            if (entriesInFlight.get() < MAX_ENTRIES_IN_FLIGHT) {
                takeBatch(batch, refused);
            }
            if (!batch.isEmpty()) {
                entriesInFlight.incrementAndGet();
                counted = true;
                send(batch);
                counted = false;
            }
        } catch (RuntimeException e) {
            if (counted) {
                entriesInFlight.decrementAndGet();
            }
            // Never leave a caller waiting: whatever went wrong, every write taken fails visibly.
            complete(batch, null, e);
        } finally {
            draining.set(false);
            scheduleDrain();
        }
        // Kept out of the log, so nothing changed anywhere; GridService may evict and try again.
        for (Pending p : refused) {
            p.future().complete(REFUSED_FOR_MEMORY);
        }
    }

    private void takeBatch(List<Pending> batch, List<Pending> refused) {
        // Never stamp earlier than the partition's clock or this batcher's last entry: after a step
        // back of the wall clock, a TTL would otherwise start in the past and expire at once on apply.
        lastStampMs = Math.max(clock.nowMs(), Math.max(node.partitionClockMs(partitionId), lastStampMs));
        encoder.wrap(entryBuffer, 0).reset(lastStampMs);
        PartitionStore store = localStore();
        // Each write is admitted against the store as applied, which does not change while a batch
        // fills: the batch's writes after the first that takes memory must fit in the room left.
        long room = store == null ? Long.MAX_VALUE : store.roomBytes();
        long claimed = 0;
        int bytes = LogEntryDescriptor.HEADER_LENGTH;
        Pending next;
        while (batch.size() < maxOps && (next = queue.peek()) != null) {
            int opBytes = encodedLength(next.command());
            if (!batch.isEmpty() && bytes + opBytes > maxBytes) {
                break;
            }
            queue.poll();
            queued.decrementAndGet();
            if (!admitted(next.command(), store)) {
                refused.add(next);
                continue;
            }
            long claim = claim(next.command(), store);
            if (claim > 0) {
                if (claimed > 0 && claimed + claim > room) {
                    refused.add(next);
                    continue;
                }
                claimed += claim;
            }
            batch.add(next);
            append(next.command());
            bytes += opBytes;
        }
    }

    /**
     * Memory admission, decided here by the leader alone before a write enters the log (docs/MEMORY.md):
     * every replica then applies every entry, whatever its own node's budget says.
     */
    private boolean admitted(WriteCommand c, PartitionStore store) {
        int valueLength = valueLength(c);
        if (valueLength < 0 || store == null) {
            return true;
        }
        key.wrap(c.key());
        return store.admits(key, 0, c.key().length, valueLength);
    }

    /** The length of the value a write leaves at its key; -1 for writes that only free memory. */
    private static int valueLength(WriteCommand c) {
        return switch (c.type()) {
            case SET, COMPARE_AND_SET -> c.value().length;
            case INCREMENT -> LONGEST_DECIMAL;
            case DELETE, EVICT, EXPIRE -> -1; // they only free memory
        };
    }

    /** The bytes an admitted write takes beyond rewriting in place (0 for deletes and in-place rewrites). */
    private long claim(WriteCommand c, PartitionStore store) {
        int valueLength = valueLength(c);
        if (valueLength < 0 || store == null) {
            return 0;
        }
        key.wrap(c.key());
        return store.admissionBytes(key, 0, c.key().length, valueLength);
    }

    /** This node's replica of the partition, or null if it has none (Ratis then refuses the entry). */
    private PartitionStore localStore() {
        try {
            return node.store(partitionId);
        } catch (GridException e) {
            return null;
        }
    }

    private void send(List<Pending> batch) {
        ByteString data = ByteString.copyFrom(entryBuffer.byteArray(), 0, encoder.encodedLength());
        RaftClientRequest request = node.submitter().request(GroupIds.partition(partitionId), Message.valueOf(data),
            RaftClientRequest.writeRequestType());
        onAppended.accept(batch.size());
        node.submitter().submitOnCaller(request).whenComplete((reply, error) -> {
            entriesInFlight.decrementAndGet();
            scheduleDrain();
            complete(batch, reply, error);
        });
    }

    private void complete(List<Pending> batch, RaftClientReply reply, Throwable error) {
        GridException failure = error != null
            ? RaftErrors.fromThrowable(error, partitionId, node.mapEpoch())
            : RaftErrors.fromReply(reply, partitionId, node.mapEpoch());
        if (failure != null
                && (failure.code() == GridErrorCode.NOT_LEADER || failure.code() == GridErrorCode.UNAVAILABLE)) {
            // The entry went to Ratis: a leader that steps down fails its pending writes, yet the next
            // leader may still commit them. Both codes promise "nothing applied", so neither may be
            // sent here: OUTCOME_UNKNOWN tells clients never to repeat an increment or compare-and-set.
            failure = new GridException(GridErrorCode.OUTCOME_UNKNOWN, "partition " + partitionId
                + " lost its leader or quorum while the write was in flight (" + failure.detail()
                + "); it may or may not have been applied", failure.leaderHint(), failure.mapEpoch(), null);
        }
        if (failure == null) {
            UnsafeBuffer results = new UnsafeBuffer(reply.getMessage().getContent().toByteArray());
            if (BatchResults.opCount(results) != batch.size()) {
                failure = new GridException(GridErrorCode.INTERNAL, "partition " + partitionId + " returned "
                    + BatchResults.opCount(results) + " results for " + batch.size() + " writes");
            } else {
                for (int i = 0; i < batch.size(); i++) {
                    Pending p = batch.get(i);
                    p.future().complete(BatchResults.result(results, i, p.command().type()));
                }
                return;
            }
        }
        for (Pending p : batch) {
            p.future().completeExceptionally(failure);
        }
    }

    private static int encodedLength(WriteCommand c) {
        return LogEntryEncoder.encodedOpLength(opType(c.type()), c.key().length, c.value().length, c.expected().length);
    }

    private static int opType(WriteCommand.Type type) {
        return switch (type) {
            case SET -> LogEntryDescriptor.SET;
            case DELETE -> LogEntryDescriptor.DELETE;
            case COMPARE_AND_SET -> LogEntryDescriptor.COMPARE_AND_SET;
            case INCREMENT -> LogEntryDescriptor.INCREMENT;
            case EVICT -> LogEntryDescriptor.EVICT;
            case EXPIRE -> LogEntryDescriptor.EXPIRE;
        };
    }

    private void append(WriteCommand c) {
        key.wrap(c.key());
        switch (c.type()) {
            case SET -> {
                value.wrap(c.value());
                encoder.appendSet(key, 0, c.key().length, value, 0, c.value().length, c.ttlMs());
            }
            case DELETE -> encoder.appendDelete(key, 0, c.key().length);
            case COMPARE_AND_SET -> {
                value.wrap(c.value());
                expected.wrap(c.expected());
                encoder.appendCompareAndSet(key, 0, c.key().length, c.expectAbsent(), expected, 0,
                    c.expectAbsent() ? 0 : c.expected().length, value, 0, c.value().length, c.ttlMs());
            }
            case INCREMENT -> encoder.appendIncrement(key, 0, c.key().length, c.delta(), c.ttlMs());
            case EVICT -> encoder.appendEvict(key, 0, c.key().length);
            case EXPIRE -> encoder.appendExpire(key, 0, c.key().length);
        }
    }
}
