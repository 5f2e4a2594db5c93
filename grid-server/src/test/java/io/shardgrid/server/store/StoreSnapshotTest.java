package io.shardgrid.server.store;

import static io.shardgrid.server.store.StoreTestSupport.get;
import static io.shardgrid.server.store.StoreTestSupport.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StoreSnapshotTest {
    private final MemoryBudget budget = new MemoryBudget(256L << 20);
    private final OffHeapPartitionStore source = new OffHeapPartitionStore(5, budget);
    private final OffHeapPartitionStore target = new OffHeapPartitionStore(5, budget);

    @AfterEach
    void closeStores() {
        source.close();
        target.close();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void roundTripRestoresLiveEntriesWithDeadlines() throws IOException {
        for (int i = 0; i < 3000; i++) {
            set(source, "key-" + i, "value-" + "v".repeat(i % 300), i % 3 == 0 ? 10_000 + i : 0, 0);
        }
        set(source, "big", "B".repeat(200_000), 0, 0);
        set(source, "expired", "gone", 50, 0);
        set(target, "stale", "must disappear", 0, 0);

        final byte[] snapshot = write(source, 100);
        final long loaded = new StoreSnapshotReader().read(new ByteArrayInputStream(snapshot), target);

        assertThat(loaded).isEqualTo(3001);
        assertThat(target.size()).isEqualTo(3001);
        assertThat(get(target, "stale", 100)).isNull();
        assertThat(get(target, "expired", 0)).isNull();
        assertThat(get(target, "big", 100)).isEqualTo("B".repeat(200_000));
        for (int i = 0; i < 3000; i++) {
            assertThat(get(target, "key-" + i, 100)).isEqualTo("value-" + "v".repeat(i % 300));
            final var key = StoreTestSupport.bytes("key-" + i);
            assertThat(target.expireAtMs(key, 0, key.capacity(), 100)).isEqualTo(i % 3 == 0 ? 10_000 + i : 0);
        }
        assertThat(target.stats().liveBytes()).isEqualTo(source.stats().liveBytes() - "expired".length() - 4);
    }

    @Test
    void emptyStoreRoundTrips() throws IOException {
        final byte[] snapshot = write(source, 0);
        assertThat(snapshot).hasSize(SnapshotDescriptor.HEADER_LENGTH + SnapshotDescriptor.END_LENGTH
            + SnapshotDescriptor.TRAILER_LENGTH);
        assertThat(new StoreSnapshotReader().read(new ByteArrayInputStream(snapshot), target)).isZero();
        assertThat(target.size()).isZero();
    }

    @Test
    void everySingleBitFlipIsRejectedAndLeavesTheStoreEmpty() throws IOException {
        for (int i = 0; i < 20; i++) {
            set(source, "key-" + i, "value-" + i, i, 0);
        }
        final byte[] snapshot = write(source, 0);
        final StoreSnapshotReader reader = new StoreSnapshotReader();
        for (int position = 0; position < snapshot.length; position++) {
            final byte[] corrupt = snapshot.clone();
            corrupt[position] ^= (byte) (1 << (position % 8));
            set(target, "key-0", "left over", 0, 0);
            final int at = position;
            assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(corrupt), target))
                .as("flip at byte %d", at)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("snapshot");
            assertThat(target.size()).isZero();
            assertThat(target.stats().allocatedBytes()).isZero();
        }
    }

    @Test
    void truncatedSnapshotIsRejectedAtEveryLength() throws IOException {
        for (int i = 0; i < 10; i++) {
            set(source, "key-" + i, "value-" + i, 0, 0);
        }
        final byte[] snapshot = write(source, 0);
        final StoreSnapshotReader reader = new StoreSnapshotReader();
        for (int length = 0; length < snapshot.length; length++) {
            final byte[] truncated = Arrays.copyOf(snapshot, length);
            assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(truncated), target))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining("truncated");
            assertThat(target.size()).isZero();
        }
    }

    @Test
    void snapshotOfAnotherPartitionIsRejected() throws IOException {
        set(source, "k", "v", 0, 0);
        final byte[] snapshot = write(source, 0);
        try (OffHeapPartitionStore other = new OffHeapPartitionStore(6, budget)) {
            assertThatThrownBy(() -> new StoreSnapshotReader().read(new ByteArrayInputStream(snapshot), other))
                .hasMessageContaining("partition 5").hasMessageContaining("partition 6");
        }
    }

    @Test
    void snapshotLargerThanTheBudgetIsRejectedAndLeavesTheStoreEmpty() throws IOException {
        for (int i = 0; i < 2000; i++) {
            set(source, "key-" + i, "x".repeat(500), 0, 0);
        }
        final byte[] snapshot = write(source, 0);
        final MemoryBudget small = new MemoryBudget(300_000);
        try (OffHeapPartitionStore tiny = new OffHeapPartitionStore(5, small)) {
            assertThatThrownBy(() -> new StoreSnapshotReader().read(new ByteArrayInputStream(snapshot), tiny))
                .isInstanceOf(IOException.class).hasMessageContaining("memory budget");
            assertThat(tiny.size()).isZero();
            assertThat(small.usedBytes()).isZero();
        }
    }

    private static byte[] write(OffHeapPartitionStore store, long nowMs) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        new StoreSnapshotWriter().write(store, nowMs, out);
        return out.toByteArray();
    }
}
