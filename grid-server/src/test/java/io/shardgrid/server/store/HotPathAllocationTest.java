package io.shardgrid.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * get, set, delete and increment allocate nothing per call. This counts bytes (the thread's
 * allocation counter), not time; JMH with -prof gc in bench/ is the authority on B/op.
 */
class HotPathAllocationTest {
    private static final int KEYS = 4096;

    @Test
    void steadyStateOperationsAllocateNothing() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (OffHeapPartitionStore store = new OffHeapPartitionStore(0, new MemoryBudget(64L << 20))) {
            final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
            final UnsafeBuffer value = new UnsafeBuffer(new byte[100]);
            final UnsafeBuffer direct = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(16));
            final UnsafeBuffer dst = new UnsafeBuffer(new byte[256]);
            final UnsafeBuffer counter = new UnsafeBuffer(new byte[] {'c'});
            run(store, key, value, direct, dst, counter, 200_000);
            final long before = threads.getCurrentThreadAllocatedBytes();
            run(store, key, value, direct, dst, counter, 200_000);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // the counter reads itself; anything per operation would show as hundreds of kilobytes
            assertThat(allocated).as("bytes allocated by 800k operations").isLessThan(1024);
        }
    }

    private static void run(OffHeapPartitionStore store, UnsafeBuffer key, UnsafeBuffer value, UnsafeBuffer direct,
                            UnsafeBuffer dst, UnsafeBuffer counter, int operations) {
        for (int i = 0; i < operations; i++) {
            key.putInt(0, i % KEYS);
            value.putInt(0, i);
            store.set(key, 0, 16, value, 0, 16 + (i & 63), (i & 1) == 0 ? 0 : 1_000_000 + i, 1_000);
            store.get(key, 0, 16, 1_000, dst, 0);
            direct.putInt(0, (i * 7) % KEYS);
            store.get(direct, 0, 16, 1_000, dst, 0);
            if ((i & 15) == 0) {
                store.delete(key, 0, 16, 1_000);
            }
            store.increment(counter, 0, 1, 1, 0, 1_000);
        }
    }
}
