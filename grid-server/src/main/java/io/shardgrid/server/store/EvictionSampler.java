package io.shardgrid.server.store;

import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.KeyConsumer;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * Picks eviction candidates by sampling, as Redis does: a run of index slots from a random start
 * (keys land in slots by hash, so a run is an unbiased sample), ranked by the access stamp or, for
 * {@link EvictionPolicy#VOLATILE_TTL}, by deadline. Only the leader calls it, so its randomness
 * never makes replicas diverge: they apply the replicated EVICT.
 *
 * <p>It reads through the store's reader-side {@link OffHeapPartitionStore#scan}, copying each
 * sampled key, so the leader's housekeeping thread can sample while the apply thread writes. One
 * caller at a time; reuses its buffers, so it allocates only when the sample size or keys grow.
 */
final class EvictionSampler implements OffHeapPartitionStore.ScanVisitor {
    /** Most slots one sample walks, per wanted entry: bounds the walk when few entries qualify. */
    private static final int SLOTS_PER_SAMPLE = 32;

    private long randomState;
    private final ExpandableArrayBuffer keys = new ExpandableArrayBuffer(1024);
    private int[] keyOffsets = new int[16];
    private int[] keyLengths = new int[16];
    private long[] scores = new long[16];
    private EvictionPolicy policy;
    private long nowMs;
    private int sampleSize;
    private int sampled;
    private int keyBytes;

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
        if (policy == null) {
            throw new IllegalArgumentException("eviction policy must not be null");
        }
        if (max == 0) {
            return 0;
        }
        if (scores.length < sampleSize) {
            keyOffsets = new int[sampleSize];
            keyLengths = new int[sampleSize];
            scores = new long[sampleSize];
        }
        this.policy = policy;
        this.nowMs = nowMs;
        this.sampleSize = sampleSize;
        this.sampled = 0;
        this.keyBytes = 0;
        final int maxSlots = (int) Math.min(Integer.MAX_VALUE, (long) sampleSize * SLOTS_PER_SAMPLE);
        store.scan((int) nextRandom(), maxSlots, this);
        final int chosen = Math.min(max, sampled);
        for (int i = 0; i < chosen; i++) {
            int best = i;
            for (int j = i + 1; j < sampled; j++) {
                if (scores[j] < scores[best]) {
                    best = j;
                }
            }
            swap(i, best);
            out.accept(keys, keyOffsets[i], keyLengths[i]);
        }
        return chosen;
    }

    @Override
    public boolean visit(DirectBuffer key, int keyLength, long expireAtMs, int accessStamp) {
        if (policy == EvictionPolicy.VOLATILE_TTL && expireAtMs == 0) {
            return true;
        }
        keys.putBytes(keyBytes, key, 0, keyLength);
        keyOffsets[sampled] = keyBytes;
        keyLengths[sampled] = keyLength;
        scores[sampled] = score(expireAtMs, accessStamp, policy, nowMs);
        keyBytes += keyLength;
        sampled++;
        return sampled < sampleSize;
    }

    /** Lower is evicted first; entries already expired come first under every policy. */
    private static long score(long expireAtMs, int stamp, EvictionPolicy policy, long nowMs) {
        if (expireAtMs != 0 && expireAtMs <= nowMs) {
            return Long.MIN_VALUE;
        }
        final long idleTicks = AccessStamp.idleTicks(stamp, nowMs);
        return switch (policy) {
            case LRU -> -idleTicks;
            case LFU -> ((long) AccessStamp.decayedCount(stamp, nowMs) << 32) - idleTicks;
            case VOLATILE_TTL -> expireAtMs;
        };
    }

    private void swap(int i, int j) {
        final int offset = keyOffsets[i];
        keyOffsets[i] = keyOffsets[j];
        keyOffsets[j] = offset;
        final int length = keyLengths[i];
        keyLengths[i] = keyLengths[j];
        keyLengths[j] = length;
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
