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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;

/**
 * The client's local copy of hot values, kept honest by the invalidations partition leaders push.
 *
 * <p>Two counters make it safe without locks on the read path:
 * <ul>
 *   <li>partition {@code p}'s epoch advances whenever partition {@code p}'s entries can no longer be trusted
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

    /** Partition ids past this are read through, never cached (ids are dense; a split adds the next one). */
    private static final int MAX_TRACKED_PARTITIONS = 1 << 20;

    private final Cache<ByteBuffer, Entry> cache;
    /** Indexed by partition id; grows (copy on write) when a split adds partitions. */
    private volatile PartitionState[] partitions;
    private final AtomicLongArray changes = new AtomicLongArray(STRIPES);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder partitionDrops = new LongAdder();
    private volatile IntPredicate armed = p -> false;

    /** {@code partitionCount}: the client's map's, to start with; partitions split off later are added. */
    public NearCache(int partitionCount, long maxEntries, Duration maxAge) {
        this.partitions = newStates(new PartitionState[0], partitionCount);
        this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(maxAge).build();
    }

    /** Which partitions may be cached now: those whose every replica's invalidation stream is up. */
    public void armedBy(IntPredicate armed) {
        this.armed = Objects.requireNonNull(armed);
    }

    /** The cached value (a copy), or {@code null} on a miss. */
    public byte[] get(int partition, byte[] key, long nowMs) {
        Entry e = cache.getIfPresent(ByteBuffer.wrap(key));
        PartitionState state = e == null ? null : state(partition);
        if (state == null || e.partition != partition || e.epoch != state.epoch.get()
            || (e.expireAtMs != 0 && e.expireAtMs <= nowMs)) {
            misses.increment();
            return null;
        }
        hits.increment();
        return e.value.clone();
    }

    /** Taken before a read goes out; {@code null} when the partition may not be cached now. */
    public Ticket ticket(int partition, byte[] key) {
        PartitionState state = state(partition);
        if (state == null || !armed.test(partition)) {
            return null;
        }
        int stripe = stripe(key);
        return new Ticket(partition, stripe, state.epoch.get(), changes.get(stripe));
    }

    /** Caches what a read returned, unless something invalidated it while the read was out. */
    public void put(Ticket ticket, byte[] key, byte[] value, long expireAtMs) {
        cache.asMap().compute(ByteBuffer.wrap(key.clone()), (k, old) -> stillValid(ticket)
            ? new Entry(value.clone(), expireAtMs, ticket.partition, ticket.epoch) : old);
    }

    /** The counters of {@code partition}, made on first use; null for an id this cache does not track. */
    private PartitionState state(int partition) {
        PartitionState[] states = partitions;
        if (partition >= 0 && partition < states.length) {
            return states[partition];
        }
        return partition >= 0 && partition < MAX_TRACKED_PARTITIONS ? grow(partition) : null;
    }

    private synchronized PartitionState grow(int partition) {
        if (partition >= partitions.length) {
            partitions = newStates(partitions, Math.max(partition + 1, 2 * partitions.length));
        }
        return partitions[partition];
    }

    private static PartitionState[] newStates(PartitionState[] from, int length) {
        PartitionState[] states = Arrays.copyOf(from, length);
        for (int p = from.length; p < length; p++) {
            states[p] = new PartitionState();
        }
        return states;
    }

    private boolean stillValid(Ticket t) {
        return state(t.partition).epoch.get() == t.epoch && changes.get(t.stripe) == t.changes
            && armed.test(t.partition);
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
        PartitionState state = state(partition);
        if (state != null) {
            state.epoch.incrementAndGet();
            partitionDrops.increment();
        }
    }

    /** Applies one pushed invalidation: a key, or an empty key meaning "a new leader, start over". */
    public void onInvalidation(Invalidation inv) {
        int p = inv.getPartitionId();
        PartitionState state = state(p);
        byte[] key = inv.getKey().toByteArray();
        if (state != null && !state.sequence.accept(inv.getTerm(), inv.getSeq(), key.length == 0)) {
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
        // A partition new in `after` (split off) has had nothing cached under it yet.
        for (int p = 0; p < Math.min(before.partitionCount(), after.partitionCount()); p++) {
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

    /** Per partition: the epoch its entries were cached in, and its invalidations' sequence. */
    private static final class PartitionState {
        final AtomicLong epoch = new AtomicLong();
        final SequenceTracker sequence = new SequenceTracker();
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
