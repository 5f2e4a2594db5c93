package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.COMPARE_AND_SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELETE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EVICT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EXPIRE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.INCREMENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.SET;

import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.core.ports.PartitionStore;
import java.util.function.LongPredicate;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a validated log entry to a partition's store, op by op in log order, with the entry's
 * {@code leaderTimeMs} as "now" for every op: replicas never read their own clock here, so every
 * replica that applies the same log reaches the same state; anything else that changes a replica
 * is decided by the leader and replicated as an entry.
 *
 * <p>Results go to a {@link ResultHandler}, one call per op in order: the leader completes each
 * waiting request from it, followers pass {@link #IGNORE_RESULTS}. Allocates nothing per op; keep
 * one applier per apply thread. Not thread-safe.
 */
public final class LogEntryApplier {
    /** Receives each op's outcome; implement it on a long-lived object, not a capturing lambda. */
    @FunctionalInterface
    public interface ResultHandler {
        /**
         * @param opIndex position of the op in its entry, from 0
         * @param status  a {@link PartitionStore} outcome: {@code OK}, {@code FULL},
         *                {@code CONDITION_FAILED} or {@code WRONG_TYPE}; {@code FAILED} if the op threw
         * @param value   INCREMENT: the new value when OK; DELETE, EVICT, EXPIRE: 1 if a key was removed,
         *                else 0; otherwise 0
         */
        void onResult(int opIndex, int status, long value);
    }

    private static final Logger LOG = LoggerFactory.getLogger(LogEntryApplier.class);

    /** For replicas that have nobody waiting on the outcome. */
    public static final ResultHandler IGNORE_RESULTS = (opIndex, status, value) -> {
    };

    private final LogOpFlyweight op = new LogOpFlyweight();

    /**
     * Applies every op of {@code entry} (already wrapped, hence validated) to {@code store} and
     * returns how many were applied.
     */
    public int apply(LogEntryFlyweight entry, PartitionStore store, ResultHandler results) {
        return apply(entry, store, entry.leaderTimeMs(), results);
    }

    /**
     * As {@link #apply(LogEntryFlyweight, PartitionStore, ResultHandler)} with {@code nowMs} in place
     * of the entry's own time: the state machine passes its never-decreasing apply clock, derived
     * from the log alone, so an entry stamped by a leader whose clock is behind cannot revive a key
     * that an earlier entry already saw expire.
     */
    public int apply(LogEntryFlyweight entry, PartitionStore store, long nowMs, ResultHandler results) {
        return apply(entry, store, nowMs, results, null);
    }

    /**
     * As {@link #apply(LogEntryFlyweight, PartitionStore, long, ResultHandler)} for a partition that
     * owns only the key hashes {@code owns} accepts (null: every key): an op on any other key
     * changes nothing and is answered {@link PartitionStore#MOVED}, alike on every replica, because
     * the range is part of the replicated state (a split entry earlier in the log narrowed it).
     */
    public int apply(LogEntryFlyweight entry, PartitionStore store, long nowMs, ResultHandler results,
                     LongPredicate owns) {
        final DirectBuffer buffer = entry.buffer();
        op.wrap(entry);
        while (op.next()) {
            int status;
            long value = 0;
            if (owns != null && !owns.test(keyHash(buffer))) {
                results.onResult(op.index(), PartitionStore.MOVED, 0);
                continue;
            }
            try {
                switch (op.type()) {
                    case SET -> status = store.set(buffer, op.keyOffset(), op.keyLength(),
                        buffer, op.valueOffset(), op.valueLength(), op.expireAtMs(), nowMs);
                    case DELETE -> {
                        status = PartitionStore.OK;
                        value = store.delete(buffer, op.keyOffset(), op.keyLength(), nowMs) ? 1 : 0;
                }
                case EVICT -> {
                    // Counted apart from deletes, so stats show memory pressure.
                    status = PartitionStore.OK;
                    value = store.evict(buffer, op.keyOffset(), op.keyLength()) ? 1 : 0;
                }
                case EXPIRE -> {
                    status = PartitionStore.OK;
                    value = store.expire(buffer, op.keyOffset(), op.keyLength(), nowMs) ? 1 : 0;
                }
                case COMPARE_AND_SET -> status = store.compareAndSet(buffer, op.keyOffset(), op.keyLength(),
                    op.expectAbsent(), buffer, op.expectedOffset(), op.expectedLength(),
                    buffer, op.valueOffset(), op.valueLength(), op.expireAtMs(), nowMs);
                case INCREMENT -> {
                    status = store.increment(buffer, op.keyOffset(), op.keyLength(), op.delta(), op.expireAtMs(),
                        nowMs);
                    value = status == PartitionStore.OK ? store.lastIncrementResult() : 0;
                }
                default -> throw new IllegalStateException(
                    "op " + op.index() + " has type " + op.type() + "; was the entry wrapped?");
                }
            } catch (RuntimeException e) {
                // One op's failure must not stop the group: the op fails, alike on every replica
                // (each meets the same exception in the same state), and the entry goes on.
                LOG.error("op {} (type {}) of an entry at leader time {} failed while being applied; it is"
                    + " answered FAILED", op.index(), op.type(), entry.leaderTimeMs(), e);
                status = PartitionStore.FAILED;
                value = 0;
            }
            results.onResult(op.index(), status, value);
        }
        return entry.opCount();
    }

    /** The current op's key hash, as the partitioner computes it. */
    private long keyHash(DirectBuffer buffer) {
        byte[] array = buffer.byteArray();
        if (array != null) {
            return Partitioner.hash(array, buffer.wrapAdjustment() + op.keyOffset(), op.keyLength());
        }
        byte[] key = new byte[op.keyLength()];
        buffer.getBytes(op.keyOffset(), key);
        return Partitioner.hash(key);
    }
}
