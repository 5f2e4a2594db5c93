package io.shardgrid.client.nearcache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.Invalidation;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;

/**
 * The client's local copy of hot values, kept honest by the invalidations partition leaders push.
 *
 * <p>Two counters make it safe without locks on the read path:
 * <ul>
 *   <li>{@code epochs[p]} advances whenever partition {@code p}'s entries can no longer be trusted
 *   (a gap in its invalidation sequence, a lost stream, a new leader or replica set); an entry
 *   remembers the epoch it was cached in and reads as a miss once that moved on.</li>
 *   <li>{@code changes[stripe(key)]} advances on every invalidation of a key in that stripe. A read
 *   takes a {@link Ticket} before it goes to the server and caches the answer only if neither
 *   counter moved meanwhile, so an invalidation that overtakes the reply cannot leave the older
 *   value behind.</li>
 * </ul>
 * Only linearizable reads fill the cache; the client invalidates its own writes before it reports
 * them complete, so it always reads its own completed writes.
 */
public final class NearCache {
    private static final int STRIPES = 4096;

    /** {@code partition}: where the value was read; a split may since have routed the key elsewhere. */
    private record Entry(byte[] value, long expireAtMs, int partition, long epoch) {
    }

    /** What a read saw before it left; see the class comment. */
    public record Ticket(int partition, int stripe, long epoch, long changes) {
    }

    private final Cache<ByteBuffer, Entry> cache;
    private final int partitionCount;
    private final AtomicLongArray epochs;
    private final AtomicLongArray changes = new AtomicLongArray(STRIPES);
    private final SequenceTracker[] sequences;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder partitionDrops = new LongAdder();
    private volatile IntPredicate armed = p -> false;

    public NearCache(int partitionCount, long maxEntries, Duration maxAge) {
        this.partitionCount = partitionCount;
        this.epochs = new AtomicLongArray(partitionCount);
        this.sequences = new SequenceTracker[partitionCount];
        for (int p = 0; p < partitionCount; p++) {
            sequences[p] = new SequenceTracker();
        }
        this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(maxAge).build();
    }

    /** Which partitions may be cached now: those whose every replica's invalidation stream is up. */
    public void armedBy(IntPredicate armed) {
        this.armed = Objects.requireNonNull(armed);
    }

    /** The cached value (a copy), or {@code null} on a miss. */
    public byte[] get(int partition, byte[] key, long nowMs) {
        Entry e = cache.getIfPresent(ByteBuffer.wrap(key));
        if (e == null || !tracked(partition) || e.partition != partition || e.epoch != epochs.get(partition)
            || (e.expireAtMs != 0 && e.expireAtMs <= nowMs)) {
            misses.increment();
            return null;
        }
        hits.increment();
        return e.value.clone();
    }

    /** Taken before a read goes out; {@code null} when the partition may not be cached now. */
    public Ticket ticket(int partition, byte[] key) {
        if (!tracked(partition) || !armed.test(partition)) {
            return null;
        }
        int stripe = stripe(key);
        return new Ticket(partition, stripe, epochs.get(partition), changes.get(stripe));
    }

    /** Caches what a read returned, unless something invalidated it while the read was out. */
    public void put(Ticket ticket, byte[] key, byte[] value, long expireAtMs) {
        cache.asMap().compute(ByteBuffer.wrap(key.clone()), (k, old) -> stillValid(ticket)
            ? new Entry(value.clone(), expireAtMs, ticket.partition, ticket.epoch) : old);
    }

    /**
     * Whether this cache keeps counters for {@code partition}: those of the map it started with.
     * A partition split off later is read through, never cached, until the client restarts.
     */
    private boolean tracked(int partition) {
        return partition >= 0 && partition < partitionCount;
    }

    private boolean stillValid(Ticket t) {
        return epochs.get(t.partition) == t.epoch && changes.get(t.stripe) == t.changes && armed.test(t.partition);
    }

    /** Forgets {@code key}: another client or this one changed it. */
    public void invalidate(byte[] key) {
        // The counter moves first: a read whose compute runs after this sees it, and a compute
        // that ran before is undone by the removal below.
        changes.incrementAndGet(stripe(key));
        cache.invalidate(ByteBuffer.wrap(key));
        invalidations.increment();
    }

    /** Forgets everything cached from {@code partition}. */
    public void dropPartition(int partition) {
        if (partition >= 0 && partition < partitionCount) {
            epochs.incrementAndGet(partition);
            partitionDrops.increment();
        }
    }

    /** Applies one pushed invalidation: a key, or an empty key meaning "a new leader, start over". */
    public void onInvalidation(Invalidation inv) {
        int p = inv.getPartitionId();
        if (p < 0 || p >= partitionCount) {
            return;
        }
        byte[] key = inv.getKey().toByteArray();
        if (!sequences[p].accept(inv.getTerm(), inv.getSeq(), key.length == 0)) {
            dropPartition(p);
        }
        if (key.length > 0) {
            invalidate(key);
        }
    }

    /**
     * Drops the partitions whose leader or replicas changed (their invalidations come from elsewhere
     * now) or whose range shrank in a split.
     */
    public void onMapChange(PartitionMap before, PartitionMap after) {
        if (before == null) {
            return;
        }
        for (int p = 0; p < Math.min(partitionCount, after.partitionCount()); p++) {
            PartitionAssignment a = before.partition(p);
            PartitionAssignment b = after.partition(p);
            if (!a.leaderHint().equals(b.leaderHint()) || !a.replicas().equals(b.replicas())
                || !a.learners().equals(b.learners()) || !a.range().equals(b.range())) {
                dropPartition(p);
            }
        }
    }

    public NearCacheStats stats() {
        return new NearCacheStats(hits.sum(), misses.sum(), invalidations.sum(), partitionDrops.sum(),
            cache.estimatedSize());
    }

    private static int stripe(byte[] key) {
        return Arrays.hashCode(key) & (STRIPES - 1);
    }

    /** Per partition: the leader term and last sequence number seen, to spot a lost invalidation. */
    private static final class SequenceTracker {
        private long term = -1;
        private long lastSeq = -1;

        /** Records the event; false when the entries cached so far can no longer be trusted. */
        synchronized boolean accept(long eventTerm, long seq, boolean restart) {
            boolean continuous = !restart && eventTerm == term && (lastSeq < 0 || seq == lastSeq + 1);
            term = eventTerm;
            lastSeq = restart ? -1 : seq;
            return continuous;
        }
    }
}
