package io.shardgrid.server.store;

import static io.shardgrid.server.store.EntryDescriptor.ACCESS_STAMP_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.EXPIRE_AT_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.KEY_LENGTH_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.KEY_OFFSET;
import static io.shardgrid.server.store.EntryIndex.EMPTY;
import static io.shardgrid.server.store.EntryIndex.TOMBSTONE;
import static io.shardgrid.server.store.SlabAllocator.offset;
import static io.shardgrid.server.store.SlabAllocator.slabId;

import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.KeyConsumer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Picks eviction candidates by sampling, as Redis does: a run of index slots from a random start
 * (keys land in slots by hash, so a run is an unbiased sample), ranked by the access stamp. Only
 * the leader calls it, so its randomness never makes replicas diverge: they apply the replicated
 * EVICT. Writer thread only; reuses its arrays, so it allocates only when the sample size grows.
 */
final class EvictionSampler {
    private long randomState;
    private int[] refs = new int[16];
    private long[] scores = new long[16];

    EvictionSampler(int seed) {
        this.randomState = 0x9E37_79B9_7F4A_7C15L ^ seed;
    }

    int sample(OffHeapPartitionStore store, EvictionPolicy policy, int sampleSize, int max, long nowMs,
               KeyConsumer out) {
        if (sampleSize < 1) {
            throw new IllegalArgumentException("sample size " + sampleSize + " must be at least 1");
        }
        if (max < 0) {
            throw new IllegalArgumentException("max candidates " + max + " must not be negative");
        }
        final EntryIndex index = store.index();
        final SlabAllocator allocator = store.allocator();
        final int capacity = index.capacity();
        if (capacity == 0 || max == 0) {
            return 0;
        }
        if (refs.length < sampleSize) {
            refs = new int[sampleSize];
            scores = new long[sampleSize];
        }
        final int mask = capacity - 1;
        int position = (int) nextRandom() & mask;
        int sampled = 0;
        for (int scanned = 0; scanned < capacity && sampled < sampleSize; scanned++) {
            final long slot = index.slotAt(position);
            if (slot != EMPTY && slot != TOMBSTONE) {
                final int ref = EntryIndex.ref(slot);
                refs[sampled] = ref;
                scores[sampled] = score(allocator.buffer(slabId(ref)), offset(ref), policy, nowMs);
                sampled++;
            }
            position = (position + 1) & mask;
        }
        final int chosen = Math.min(max, sampled);
        for (int i = 0; i < chosen; i++) {
            int best = i;
            for (int j = i + 1; j < sampled; j++) {
                if (scores[j] < scores[best]) {
                    best = j;
                }
            }
            swap(i, best);
            final UnsafeBuffer block = allocator.buffer(slabId(refs[i]));
            final int offset = offset(refs[i]);
            out.accept(block, offset + KEY_OFFSET, block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF);
        }
        return chosen;
    }

    /** Lower is evicted first. */
    private static long score(UnsafeBuffer block, int offset, EvictionPolicy policy, long nowMs) {
        final long expireAtMs = block.getLong(offset + EXPIRE_AT_OFFSET);
        if (expireAtMs != 0 && expireAtMs <= nowMs) {
            return Long.MIN_VALUE;
        }
        final int stamp = block.getIntOpaque(offset + ACCESS_STAMP_OFFSET);
        final long idleTicks = AccessStamp.idleTicks(stamp, nowMs);
        if (policy == EvictionPolicy.LRU) {
            return -idleTicks;
        }
        return ((long) AccessStamp.decayedCount(stamp, nowMs) << 32) - idleTicks;
    }

    private void swap(int i, int j) {
        final int ref = refs[i];
        refs[i] = refs[j];
        refs[j] = ref;
        final long score = scores[i];
        scores[i] = scores[j];
        scores[j] = score;
    }

    private long nextRandom() {
        long x = randomState;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        randomState = x;
        return x;
    }
}
