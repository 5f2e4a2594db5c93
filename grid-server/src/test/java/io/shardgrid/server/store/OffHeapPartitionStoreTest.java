package io.shardgrid.server.store;

import static io.shardgrid.server.core.ports.PartitionStore.ABSENT;
import static io.shardgrid.server.core.ports.PartitionStore.CONDITION_FAILED;
import static io.shardgrid.server.core.ports.PartitionStore.FULL;
import static io.shardgrid.server.core.ports.PartitionStore.OK;
import static io.shardgrid.server.core.ports.PartitionStore.WRONG_TYPE;
import static io.shardgrid.server.store.StoreTestSupport.bytes;
import static io.shardgrid.server.store.StoreTestSupport.delete;
import static io.shardgrid.server.store.StoreTestSupport.get;
import static io.shardgrid.server.store.StoreTestSupport.increment;
import static io.shardgrid.server.store.StoreTestSupport.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.server.core.ports.EvictionPolicy;

import io.shardgrid.server.core.ports.StoreStats;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class OffHeapPartitionStoreTest {
    private final MemoryBudget budget = new MemoryBudget(64L << 20);
    private final OffHeapPartitionStore store = new OffHeapPartitionStore(7, budget);

    @Test
    void setThenGetReturnsTheValueAndReplacesAcrossSizeClasses() {
        assertThat(set(store, "k", "v1", 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEqualTo("v1");
        assertThat(set(store, "k", "v2", 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEqualTo("v2");
        final String big = "x".repeat(5000);
        assertThat(set(store, "k", big, 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEqualTo(big);
        final String huge = "y".repeat(100_000);
        assertThat(set(store, "k", huge, 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEqualTo(huge);
        assertThat(set(store, "k", "", 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEmpty();
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.stats().liveBytes()).isEqualTo(1);
    }

    @Test
    void expiredKeyReadsAsAbsentAtItsDeadline() {
        set(store, "k", "v", 100, 0);
        final UnsafeBuffer key = bytes("k");
        assertThat(get(store, "k", 99)).isEqualTo("v");
        assertThat(store.expireAtMs(key, 0, 1, 99)).isEqualTo(100);
        assertThat(get(store, "k", 100)).isNull();
        assertThat(store.expireAtMs(key, 0, 1, 100)).isEqualTo(ABSENT);
        assertThat(store.size()).isEqualTo(1);
        assertThat(delete(store, "k", 100)).isFalse();
        assertThat(store.size()).isZero();
        assertThat(store.stats().expiredCount()).isEqualTo(1);
    }

    @Test
    void sweepFreesExpiredEntriesIncrementally() {
        for (int i = 0; i < 1000; i++) {
            set(store, "k" + i, "v", i % 2 == 0 ? 50 : 0, 0);
        }
        int freed = 0;
        for (int calls = 0; calls < 1000 && freed < 500; calls++) {
            final int step = store.sweepExpired(60, 10);
            assertThat(step).isLessThanOrEqualTo(10);
            freed += step;
        }
        assertThat(freed).isEqualTo(500);
        assertThat(store.size()).isEqualTo(500);
        assertThat(store.stats().expiredCount()).isEqualTo(500);
        assertThat(get(store, "k1", 60)).isEqualTo("v");
    }

    @Test
    void compareAndSetHonoursTheExpectation() {
        final UnsafeBuffer key = bytes("k");
        final UnsafeBuffer a = bytes("a");
        final UnsafeBuffer b = bytes("b");
        assertThat(store.compareAndSet(key, 0, 1, false, a, 0, 1, b, 0, 1, 0, 0)).isEqualTo(CONDITION_FAILED);
        assertThat(store.compareAndSet(key, 0, 1, true, null, 0, 0, a, 0, 1, 0, 0)).isEqualTo(OK);
        assertThat(store.compareAndSet(key, 0, 1, true, null, 0, 0, b, 0, 1, 0, 0)).isEqualTo(CONDITION_FAILED);
        assertThat(store.compareAndSet(key, 0, 1, false, b, 0, 1, b, 0, 1, 0, 0)).isEqualTo(CONDITION_FAILED);
        assertThat(store.compareAndSet(key, 0, 1, false, a, 0, 1, b, 0, 1, 0, 0)).isEqualTo(OK);
        assertThat(get(store, "k", 0)).isEqualTo("b");
    }

    @Test
    void incrementFollowsRedisIntegerRules() {
        assertThat(increment(store, "n", 5, 0)).isEqualTo(OK);
        assertThat(store.lastIncrementResult()).isEqualTo(5);
        assertThat(increment(store, "n", -7, 0)).isEqualTo(OK);
        assertThat(get(store, "n", 0)).isEqualTo("-2");
        set(store, "max", Long.toString(Long.MAX_VALUE), 0, 0);
        assertThat(increment(store, "max", 1, 0)).isEqualTo(WRONG_TYPE);
        set(store, "min", Long.toString(Long.MIN_VALUE), 0, 0);
        assertThat(increment(store, "min", 0, 0)).isEqualTo(OK);
        assertThat(get(store, "min", 0)).isEqualTo(Long.toString(Long.MIN_VALUE));
        assertThat(increment(store, "min", -1, 0)).isEqualTo(WRONG_TYPE);
        for (String bad : List.of("abc", "", "01", "-0", "+1", " 1", "1 ", "9223372036854775808", "1.5", "-")) {
            set(store, "bad", bad, 0, 0);
            assertThat(increment(store, "bad", 1, 0)).as("value '%s'", bad).isEqualTo(WRONG_TYPE);
            assertThat(get(store, "bad", 0)).isEqualTo(bad);
        }
        set(store, "ttl", "1", 500, 0);
        assertThat(increment(store, "ttl", 1, 10)).isEqualTo(OK);
        assertThat(store.expireAtMs(bytes("ttl"), 0, 3, 10)).isEqualTo(500);
    }

    @Test
    void fullBudgetRejectsTheWriteAndChangesNothing() {
        final MemoryBudget small = new MemoryBudget(200_000);
        try (OffHeapPartitionStore tiny = new OffHeapPartitionStore(1, small)) {
            int written = 0;
            while (set(tiny, "key-" + written, "v".repeat(200), 0, 0) == OK) {
                written++;
            }
            assertThat(written).isPositive();
            final StoreStats before = tiny.stats();
            final long usedBefore = small.usedBytes();
            assertThat(set(tiny, "another", "v".repeat(200), 0, 0)).isEqualTo(FULL);
            assertThat(set(tiny, "key-0", "w".repeat(3000), 0, 0)).isEqualTo(FULL);
            assertThat(tiny.stats()).isEqualTo(before);
            assertThat(small.usedBytes()).isEqualTo(usedBefore);
            assertThat(get(tiny, "key-0", 0)).isEqualTo("v".repeat(200));
            assertThat(get(tiny, "another", 0)).isNull();
            assertThat(tiny.size()).isEqualTo(written);
        }
        assertThat(small.usedBytes()).isZero();
    }

    @Test
    void admissionRefusesWhatTheFullBudgetCannotCoverAndAdmitsWhatNeedsNoNewMemory() {
        final MemoryBudget small = new MemoryBudget(200_000);
        try (OffHeapPartitionStore tiny = new OffHeapPartitionStore(1, small)) {
            int written = 0;
            while (admits(tiny, "key-" + written, 200)) {
                assertThat(set(tiny, "key-" + written, "v".repeat(200), 0, 0)).isEqualTo(OK);
                written++;
            }
            assertThat(written).isPositive();
            // What the refusal meant: the same write, applied anyway, is FULL on a refusing store.
            assertThat(set(tiny, "key-" + written, "v".repeat(200), 0, 0)).isEqualTo(FULL);
            assertThat(admits(tiny, "key-0", 200)).as("an overwrite in its own block").isTrue();
            assertThat(admits(tiny, "key-0", 3000)).as("an overwrite that needs a new slab").isFalse();
            assertThat(admits(tiny, "key-0", 100_000)).as("an overwrite that needs a chunk").isFalse();
            assertThat(delete(tiny, "key-1", 0)).isTrue();
            assertThat(admits(tiny, "another", 200)).as("a new key into the freed block").isTrue();
        }
    }

    @Test
    void aReplicaStoreAppliesEveryWritePastItsBudgetAndGivesItAllBack() {
        final MemoryBudget small = new MemoryBudget(200_000);
        try (OffHeapPartitionStore replica = new OffHeapPartitionStore(1, small, OverBudget.OVERSHOOT)) {
            for (int i = 0; i < 2_000; i++) {
                assertThat(set(replica, "key-" + i, "v".repeat(200), 0, 0)).as("write %d", i).isEqualTo(OK);
            }
            assertThat(set(replica, "key-0", "w".repeat(100_000), 0, 0)).isEqualTo(OK);
            assertThat(replica.size()).isEqualTo(2_000);
            assertThat(small.usedBytes()).isGreaterThan(small.capacityBytes())
                .isEqualTo(replica.stats().allocatedBytes());
            assertThat(small.availableBytes()).isNegative();
            assertThat(admits(replica, "one-more", 3000)).as("a write needing a slab, on an overshot node")
                .isFalse();
        }
        assertThat(small.usedBytes()).isZero();
    }

    @Test
    void overwritingALargeValueReusesItsChunkWhileTheEntryStillFillsMostOfIt() {
        assertThat(set(store, "big", "a".repeat(100_000), 0, 0)).isEqualTo(OK);
        final long allocated = store.stats().allocatedBytes();
        final int epoch = store.allocator().layoutEpoch();
        for (int i = 0; i < 100; i++) {
            assertThat(set(store, "big", String.valueOf((char) ('b' + i % 20)).repeat(100_000), 0, 0)).isEqualTo(OK);
        }
        assertThat(set(store, "big", "s".repeat(95_000), 0, 0)).isEqualTo(OK);
        assertThat(get(store, "big", 0)).isEqualTo("s".repeat(95_000));
        assertThat(store.allocator().layoutEpoch()).as("chunks released").isEqualTo(epoch);
        assertThat(store.stats().allocatedBytes()).isEqualTo(allocated);
        assertThat(admits(store, "big", 99_000)).isTrue();

        // Growing past the chunk, or shrinking to less than 7/8 of it, takes a new one.
        assertThat(set(store, "big", "g".repeat(100_100), 0, 0)).isEqualTo(OK);
        assertThat(store.allocator().layoutEpoch()).isNotEqualTo(epoch);
        final int grown = store.allocator().layoutEpoch();
        assertThat(set(store, "big", "t".repeat(60_000), 0, 0)).isEqualTo(OK);
        assertThat(store.allocator().layoutEpoch()).isNotEqualTo(grown);
        assertThat(get(store, "big", 0)).isEqualTo("t".repeat(60_000));
        assertThat(store.stats().liveBytes()).isEqualTo(3 + 60_000);
    }

    private static boolean admits(OffHeapPartitionStore store, String key, int valueLength) {
        final UnsafeBuffer k = bytes(key);
        return store.admits(k, 0, k.capacity(), valueLength);
    }

    @Test
    void accountingReturnsToBaselineAfterDeleteAllAndClear() {
        final long baseline = budget.usedBytes();
        for (int i = 0; i < 5000; i++) {
            set(store, "key-" + i, "value-".repeat(i % 40) + i, 0, 0);
        }
        set(store, "large", "z".repeat(40_000), 0, 0);
        final StoreStats full = store.stats();
        assertThat(budget.usedBytes() - baseline).isEqualTo(full.allocatedBytes());
        for (int i = 0; i < 5000; i++) {
            assertThat(delete(store, "key-" + i, 0)).isTrue();
        }
        assertThat(delete(store, "large", 0)).isTrue();
        final StoreStats empty = store.stats();
        assertThat(empty.keys()).isZero();
        assertThat(empty.liveBytes()).isZero();
        assertThat(budget.usedBytes() - baseline).isEqualTo(empty.allocatedBytes());
        assertThat(empty.freeBytes()).isEqualTo(empty.allocatedBytes() - store.index().allocatedBytes());
        store.clear();
        assertThat(store.stats().allocatedBytes()).isZero();
        assertThat(budget.usedBytes()).isEqualTo(baseline);
        assertThat(set(store, "again", "v", 0, 0)).isEqualTo(OK);
        assertThat(get(store, "again", 0)).isEqualTo("v");
        store.close();
        assertThat(budget.usedBytes()).isEqualTo(baseline);
    }

    @Test
    void freedBlocksAreReused() {
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 1000; i++) {
                set(store, "key-" + i, "v" + round, 0, 0);
            }
            for (int i = 0; i < 1000; i++) {
                delete(store, "key-" + i, 0);
            }
        }
        assertThat(store.stats().allocatedBytes() - store.index().allocatedBytes())
            .isLessThanOrEqualTo(2L * SlabAllocator.SLAB_BYTES);
    }

    @Test
    void emptiedSlabsGoBackToTheBudgetSoAShiftInValueSizesStrandsNoMemory() {
        for (int i = 0; i < 5000; i++) {
            set(store, "key-" + i, "a".repeat(100), 0, 0);
        }
        final long slabBytesAtPeak = store.stats().allocatedBytes() - store.index().allocatedBytes();
        assertThat(slabBytesAtPeak).isGreaterThan(10L * SlabAllocator.SLAB_BYTES);
        for (int i = 0; i < 5000; i++) {
            delete(store, "key-" + i, 0);
        }
        // one slab with room stays per class, so a single churning key does not thrash
        assertThat(store.allocator().slabCount()).isEqualTo(1);
        assertThat(store.stats().allocatedBytes() - store.index().allocatedBytes()).isEqualTo(SlabAllocator.SLAB_BYTES);
        for (int i = 0; i < 5000; i++) {
            set(store, "key-" + i, "b".repeat(300), 0, 0);
        }
        final StoreStats stats = store.stats();
        assertThat(stats.fragmentation()).isLessThan(0.05);
        assertThat(budget.usedBytes()).isEqualTo(stats.allocatedBytes());
    }

    @Test
    void evictionCandidatesPreferIdleKeysUnderLruAndEvictCounts() {
        for (int i = 0; i < 100; i++) {
            set(store, "key-" + i, "v", 0, 0);
        }
        final long later = 10 * 60_000;
        for (int i = 10; i < 100; i++) {
            get(store, "key-" + i, later);
        }
        final List<String> picked = new ArrayList<>();
        final int count = store.evictionCandidates(EvictionPolicy.LRU, 100, 10, later,
            (buffer, offset, length) -> picked.add(buffer.getStringWithoutLengthUtf8(offset, length)));
        assertThat(count).isEqualTo(10);
        assertThat(picked).containsExactlyInAnyOrder(
            "key-0", "key-1", "key-2", "key-3", "key-4", "key-5", "key-6", "key-7", "key-8", "key-9");
        final UnsafeBuffer key = bytes("key-0");
        assertThat(store.evict(key, 0, key.capacity())).isTrue();
        assertThat(store.evict(key, 0, key.capacity())).isFalse();
        assertThat(store.stats().evictedCount()).isEqualTo(1);
        assertThat(store.size()).isEqualTo(99);
    }

    @Test
    void evictionCandidatesPreferRarelyUsedKeysUnderLfu() {
        for (int i = 0; i < 50; i++) {
            set(store, "key-" + i, "v", 0, 0);
        }
        for (int round = 0; round < 200; round++) {
            for (int i = 1; i < 50; i++) {
                get(store, "key-" + i, 1000);
            }
        }
        final List<String> picked = new ArrayList<>();
        store.evictionCandidates(EvictionPolicy.LFU, 50, 1, 1000,
            (buffer, offset, length) -> picked.add(buffer.getStringWithoutLengthUtf8(offset, length)));
        assertThat(picked).containsExactly("key-0");
    }

    @Test
    void findExpiredPassesExpiredKeysBoundedAndExpireRemovesOnlyThoseStillExpired() {
        for (int i = 0; i < 1000; i++) {
            set(store, "k" + i, "v", i % 2 == 0 ? 50 : 0, 0);
        }
        // The walk is cyclic: once it wraps it finds the same keys again, so collect a set.
        final java.util.Set<String> found = new java.util.HashSet<>();
        for (int calls = 0; calls < 200 && found.size() < 500; calls++) {
            final int step = store.findExpired(60, 64, 10,
                (buffer, offset, length) -> found.add(buffer.getStringWithoutLengthUtf8(offset, length)));
            assertThat(step).isLessThanOrEqualTo(10);
        }
        assertThat(found).hasSize(500).allMatch(k -> Integer.parseInt(k.substring(1)) % 2 == 0);
        assertThat(store.size()).as("finding removes nothing").isEqualTo(1000);

        set(store, "k0", "renewed", 0, 60);
        int removed = 0;
        for (String k : found) {
            final UnsafeBuffer key = bytes(k);
            removed += store.expire(key, 0, key.capacity(), 60) ? 1 : 0;
        }
        assertThat(removed).isEqualTo(499);
        assertThat(get(store, "k0", 60)).isEqualTo("renewed");
        final UnsafeBuffer live = bytes("k1");
        assertThat(store.expire(live, 0, live.capacity(), 60)).isFalse();
        assertThat(store.size()).isEqualTo(501);
        // 499 expired by EXPIRE, and k0's expired entry that the rewrite replaced.
        assertThat(store.stats().expiredCount()).isEqualTo(500);
        assertThat(store.findExpired(60, 1 << 20, 1000, (b, o, l) -> { })).isZero();
    }

    @Test
    void volatileTtlEvictsOnlyKeysWithADeadlineNearestFirst() {
        for (int i = 0; i < 50; i++) {
            set(store, "ttl-" + i, "v", 10_000 + i, 0);
            set(store, "forever-" + i, "v", 0, 0);
        }
        final List<String> picked = new ArrayList<>();
        store.evictionCandidates(EvictionPolicy.VOLATILE_TTL, 100, 3, 0,
            (buffer, offset, length) -> picked.add(buffer.getStringWithoutLengthUtf8(offset, length)));
        // The sample covers the whole small table, so the three nearest deadlines come out in order.
        assertThat(picked).containsExactly("ttl-0", "ttl-1", "ttl-2");
        final List<String> none = new ArrayList<>();
        final OffHeapPartitionStore persistent = new OffHeapPartitionStore(8, budget);
        set(persistent, "forever", "v", 0, 0);
        persistent.evictionCandidates(EvictionPolicy.VOLATILE_TTL, 16, 3, 0,
            (buffer, offset, length) -> none.add(buffer.getStringWithoutLengthUtf8(offset, length)));
        assertThat(none).isEmpty();
        persistent.close();
    }

    @Test
    void badArgumentsAreRejectedWithTheValue() {
        final UnsafeBuffer key = bytes("k");
        assertThatThrownBy(() -> store.set(key, 0, 0, key, 0, 1, 0, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key length 0");
        assertThatThrownBy(() -> store.set(key, 0, 1, key, 0, 1, -5, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
        assertThatThrownBy(() -> new MemoryBudget(-1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> store.set(key, 0, 1, key, 0, 2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(store.size()).isZero();
        assertThatThrownBy(() -> store.sweepExpired(0, -3)).hasMessageContaining("-3");
        assertThatThrownBy(() -> store.findExpired(0, -4, 1, (b, o, l) -> { })).hasMessageContaining("-4");
        assertThatThrownBy(() -> store.evictionCandidates(null, 4, 1, 0, (b, o, l) -> { }))
            .hasMessageContaining("policy");
    }
}
