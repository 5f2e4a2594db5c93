package io.shardgrid.server.store;

import static io.shardgrid.server.core.ports.PartitionStore.OK;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.core.ports.StoreStats;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Memory accounting at scale: index, headers and rounding stay within 48 bytes per entry. */
class StoreOverheadTest {
    private static final int ENTRIES = 1_000_000;
    private static final int KEY_LENGTH = 16;

    @ParameterizedTest(name = "{0}-byte values")
    @ValueSource(ints = {16, 100})
    void overheadPerEntryIsAtMost48BytesAtOneMillionEntries(int valueLength) {
        final MemoryBudget budget = new MemoryBudget(1L << 30);
        try (OffHeapPartitionStore store = new OffHeapPartitionStore(0, budget)) {
            final UnsafeBuffer key = new UnsafeBuffer(new byte[KEY_LENGTH]);
            final UnsafeBuffer value = new UnsafeBuffer(new byte[valueLength]);
            for (int i = 0; i < ENTRIES; i++) {
                key.putLong(0, i);
                key.putLong(8, ~i);
                value.putInt(0, i);
                assertThat(store.set(key, 0, KEY_LENGTH, value, 0, valueLength, 0, 0)).isEqualTo(OK);
            }
            final StoreStats stats = store.stats();
            System.out.printf("%d entries, %d-byte keys, %d-byte values: overhead %.1f bytes/entry, "
                    + "allocated %d, free %d (fragmentation %.3f)%n", stats.keys(), KEY_LENGTH, valueLength,
                stats.overheadPerEntry(), stats.allocatedBytes(), stats.freeBytes(), stats.fragmentation());
            assertThat(stats.keys()).isEqualTo(ENTRIES);
            assertThat(stats.liveBytes()).isEqualTo((long) ENTRIES * (KEY_LENGTH + valueLength));
            assertThat(stats.overheadPerEntry()).isLessThanOrEqualTo(48.0);
            assertThat(budget.usedBytes()).isEqualTo(stats.allocatedBytes());
        }
        assertThat(budget.usedBytes()).isZero();
    }
}
