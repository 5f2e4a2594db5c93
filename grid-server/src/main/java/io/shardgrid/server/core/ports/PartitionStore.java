package io.shardgrid.server.core.ports;

import java.io.IOException;
import java.io.InputStream;
import io.shardgrid.common.routing.Partitioner;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The key-value state of one partition, as the state machine and the read path see it.
 *
 * <p>Threading: exactly one writer (the partition's raft apply thread) calls the mutating methods;
 * any number of reader threads call {@link #get} and {@link #expireAtMs} concurrently. A reader
 * never sees a torn or half-written value.
 *
 * <p>Time is always passed in: on writes it is the raft entry's leader timestamp, on reads the
 * caller's clock. The store never reads a clock, so every replica applies the same log to the same
 * state. Expiry deadlines are absolute ({@code expireAtMs}, 0 = never); an entry whose deadline is
 * at or before {@code nowMs} reads as absent.
 *
 * <p>Keys and values travel as {@code (buffer, offset, length)}; nothing here allocates per call.
 */
public interface PartitionStore extends AutoCloseable {
    /** {@link #get} result when the key is absent or expired. */
    int ABSENT = -1;

    /** Mutation outcomes. */
    int OK = 0;
    /**
     * The node's memory budget cannot hold the write; nothing changed. A replica applying its raft
     * log never answers it (the partition's leader decided with {@link #admits} before the write
     * entered the log); the leader answers it for a write it keeps out of the log.
     */
    int FULL = 1;
    /** Compare-and-set: the expectation did not hold; nothing changed. */
    int CONDITION_FAILED = 2;
    /** Increment: the current value is not a decimal signed 64-bit integer, or would overflow. */
    int WRONG_TYPE = 3;
    /**
     * Not a store outcome: the op threw while a replica applied it (a bug, or a state no check
     * foresaw). Every replica applying the same log meets the same exception and fails the op alike;
     * the entry's other ops are applied, and the partition keeps going.
     */
    int FAILED = 4;
    /**
     * Not a store outcome: the key's hash lies outside the partition's range, handed to a child
     * partition by a split; nothing changed. The client routes by a map older than the split.
     */
    int MOVED = 5;

    int partitionId();

    /**
     * Copies the live value of {@code key} into {@code dst} at {@code dstOffset} ({@code dst} must
     * have room or be expandable) and returns its length, or {@link #ABSENT}.
     */
    int get(DirectBuffer key, int keyOffset, int keyLength, long nowMs, MutableDirectBuffer dst, int dstOffset);

    /** The live entry's absolute deadline (0 = never expires), or {@link #ABSENT}. */
    long expireAtMs(DirectBuffer key, int keyOffset, int keyLength, long nowMs);

    /**
     * Whether the partition's leader should let a write that leaves a value of {@code valueLength}
     * bytes at {@code key} into the log, as far as memory goes: admission is the leader's decision
     * alone, so that every replica applies every entry alike. A hint read beside the writer (writes
     * still in flight are not counted); any thread.
     */
    boolean admits(DirectBuffer key, int keyOffset, int keyLength, int valueLength);

    /**
     * The bytes a write {@link #admits} lets in takes when it is not rewritten in place (0 when it
     * is). {@link #admits} judges one write against the store as applied; a leader batching several
     * adds these up against {@link #roomBytes}, or every write of a batch would count on the same
     * free block.
     */
    long admissionBytes(DirectBuffer key, int keyOffset, int keyLength, int valueLength);

    /** What new entries may take now: the node budget left plus the free space inside this store's slabs. */
    long roomBytes();

    /** Inserts or replaces; returns {@link #OK} or {@link #FULL}. */
    int set(DirectBuffer key, int keyOffset, int keyLength,
            DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs);

    /** Removes a live key; returns whether one was removed. */
    boolean delete(DirectBuffer key, int keyOffset, int keyLength, long nowMs);

    /**
     * Replaces the value only if the live value equals {@code expected} (or, with
     * {@code expectAbsent}, only if the key is absent). Returns {@link #OK}, {@link #CONDITION_FAILED}
     * or {@link #FULL}.
     */
    int compareAndSet(DirectBuffer key, int keyOffset, int keyLength,
                      boolean expectAbsent, DirectBuffer expected, int expectedOffset, int expectedLength,
                      DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs);

    /**
     * Adds {@code delta} to the decimal signed 64-bit integer stored at {@code key} (an absent key
     * counts as 0 and is created with {@code expireAtMsIfCreated}; an existing key keeps its
     * deadline). Returns {@link #OK}, {@link #WRONG_TYPE} or {@link #FULL}; on OK the new value is
     * {@link #lastIncrementResult()}.
     */
    int increment(DirectBuffer key, int keyOffset, int keyLength, long delta, long expireAtMsIfCreated, long nowMs);

    /** The value produced by the last successful {@link #increment}; writer thread only. */
    long lastIncrementResult();

    /**
     * Frees up to {@code maxEntries} expired entries, continuing where the previous call stopped, so
     * the cost per call is bounded. Returns how many were freed. Writer thread only.
     */
    int sweepExpired(long nowMs, int maxEntries);

    /**
     * Removes the key, live or expired, as the leader's replicated eviction and counts it in
     * {@link StoreStats#evictedCount()}. Returns whether the key was held. Writer thread only.
     */
    boolean evict(DirectBuffer key, int keyOffset, int keyLength);

    /**
     * Removes the key only if its deadline is at or before {@code nowMs}, as the leader's replicated
     * expiry, and counts it in {@link StoreStats#expiredCount()}. A key rewritten since the leader
     * found it expired is live again and stays. Returns whether the key was removed. Writer thread only.
     */
    boolean expire(DirectBuffer key, int keyOffset, int keyLength, long nowMs);

    /**
     * Looks at up to {@code maxSlots} index slots, continuing where the previous call stopped, and
     * passes the keys of entries expired at {@code nowMs} (at most {@code maxKeys}) to {@code out}.
     * Nothing is removed: the leader replicates an EXPIRE for them. A reader, safe alongside the
     * writer; one caller thread at a time. Returns the number of keys passed.
     */
    int findExpired(long nowMs, int maxSlots, int maxKeys, KeyConsumer out);

    /**
     * Samples about {@code sampleSize} entries and passes the {@code max} best eviction candidates
     * under {@code policy} to {@code out}, best first (expired entries first). Nothing is removed:
     * the leader replicates an EVICT for the keys it picks. {@code out} sees a copy valid for the
     * call and must not mutate the store. Returns the number of keys passed. A reader, safe
     * alongside the writer; one caller thread at a time.
     */
    int evictionCandidates(EvictionPolicy policy, int sampleSize, int max, long nowMs, KeyConsumer out);

    /**
     * Calls {@code consumer} for every entry live at {@code nowMs} (0 includes expired ones) and
     * returns how many it visited; {@code consumer} must not mutate the store. For snapshots; writer
     * thread only.
     */
    long forEachEntry(long nowMs, EntryConsumer consumer);

    /** Live and expired-but-not-yet-freed entries. */
    long size();

    /** Removes every entry and returns all memory to the budget. Writer thread only. */
    void clear();

    StoreStats stats();

    /**
     * Streams every live entry (as of {@code nowMs}) to {@code out} with a checksum, in memory
     * bounded independently of the partition's size. Writer thread only.
     */
    void writeSnapshot(OutputStream out, long nowMs) throws IOException;

    /**
     * As {@link #writeSnapshot(OutputStream, long)}, but only the entries whose key hash
     * ({@link Partitioner#hash}) {@code keyHash} accepts, as a snapshot of partition
     * {@code asPartitionId}: the first state of a partition split off this one. Writer thread only.
     */
    void writeSnapshot(OutputStream out, long nowMs, LongPredicate keyHash, int asPartitionId) throws IOException;

    /**
     * Removes every entry, live or expired, whose key hash {@code keyHash} accepts, and returns how
     * many: what a split hands to the child leaves the parent. Writer thread only.
     */
    default long removeIf(LongPredicate keyHash) {
        List<byte[]> doomed = new ArrayList<>();
        forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) -> {
            byte[] key = new byte[keyLength];
            buffer.getBytes(keyOffset, key);
            if (keyHash.test(Partitioner.hash(key))) {
                doomed.add(key);
            }
        });
        UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        for (byte[] key : doomed) {
            view.wrap(key);
            delete(view, 0, key.length, 0); // at time 0 every entry is live, so expired ones go too
        }
        return doomed.size();
    }

    /**
     * Replaces the whole content with a snapshot written by {@link #writeSnapshot}; a corrupt or
     * truncated snapshot throws and leaves the store empty. Writer thread only.
     */
    void readSnapshot(InputStream in) throws IOException;

    @Override
    void close();
}
