package io.shardgrid.bench.jmh;

import static io.shardgrid.bench.jmh.KeyPool.KEY_BYTES;

import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.StoreStats;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Memory footprint of one {@link OffHeapPartitionStore}: fills a fresh store with N entries of
 * {@value KeyPool#KEY_BYTES}-byte keys and prints its {@link StoreStats} (allocated bytes, overhead
 * per entry) and the heap in use after a full GC before and after the fill, for N = 100,000 and
 * 1,000,000 and values of 16 and 100 bytes. The store's heap use should not grow with N. For scale
 * it also prints the heap a {@code ConcurrentHashMap<ByteBuffer, byte[]>} of the same entries
 * takes.
 *
 * <p>Run (about 20 seconds); a plain class, not a JMH benchmark, so the JVM flags go on the command
 * line:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Xmx2g -XX:MaxDirectMemorySize=6g \
 *   -cp bench/target/benchmarks.jar io.shardgrid.bench.jmh.StoreFootprint
 * </pre>
 * Optional arguments: entry counts, e.g. {@code 100000 1000000 4000000}.
 *
 * <p>"heap" is {@code MemoryMXBean} heap used after a full GC, so it counts live objects only;
 * "direct" is the JDK's direct buffer pool ({@code ByteBuffer.allocateDirect}, which the store's
 * slabs and index use), which would not see memory taken with {@code Unsafe.allocateMemory}. The
 * store's {@code close()} returns its bytes to the budget at once but leaves freeing the direct
 * buffers to the GC's cleaners, so each measurement first waits for the direct pool to settle.
 */
public final class StoreFootprint {
    private static final long BUDGET_BYTES = 4L << 30;
    private static final int[] VALUE_SIZES = {16, 100};
    private static final long NOW_MS = 1_700_000_000_000L;

    private static final long SETTLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long SETTLE_POLL_MS = 50;

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private StoreFootprint() {
    }

    public static void main(String[] args) {
        final int[] entryCounts = args.length == 0 ? new int[] {100_000, 1_000_000} : parse(args);
        System.out.printf(Locale.ROOT, "%-8s %9s %6s %14s %14s %10s %12s %12s %12s %12s%n",
            "impl", "entries", "value", "liveBytes", "allocBytes", "ovh/entry",
            "heapBefore", "heapAfter", "heapDelta", "directDelta");
        for (int valueSize : VALUE_SIZES) {
            for (int entries : entryCounts) {
                measureStore(entries, valueSize);
            }
        }
        for (int valueSize : VALUE_SIZES) {
            for (int entries : entryCounts) {
                measureMap(entries, valueSize);
            }
        }
    }

    private static void measureStore(int entries, int valueSize) {
        final UnsafeBuffer value = new UnsafeBuffer(new byte[valueSize]);
        final byte[] key = new byte[KEY_BYTES];
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
        final long heapBefore = usedHeapAfterGc();
        final long directBefore = directBytes();
        try (PartitionStore store = new OffHeapPartitionStore(0, new MemoryBudget(BUDGET_BYTES))) {
            for (int i = 0; i < entries; i++) {
                KeyPool.writeKey(i, key, 0);
                final int status = store.set(keyBuffer, 0, KEY_BYTES, value, 0, valueSize, 0, NOW_MS);
                if (status != PartitionStore.OK) {
                    throw new IllegalStateException("set of key " + i + " returned " + status);
                }
            }
            final long heapAfter = usedHeapAfterGc();
            final StoreStats stats = store.stats();
            System.out.printf(Locale.ROOT, "%-8s %9d %6d %14d %14d %10.1f %12d %12d %12d %12d%n",
                "offheap", entries, valueSize, stats.liveBytes(), stats.allocatedBytes(), stats.overheadPerEntry(),
                heapBefore, heapAfter, heapAfter - heapBefore, directBytes() - directBefore);
        }
    }

    private static void measureMap(int entries, int valueSize) {
        final long heapBefore = usedHeapAfterGc();
        final ConcurrentHashMap<ByteBuffer, byte[]> map = new ConcurrentHashMap<>(entries);
        for (int i = 0; i < entries; i++) {
            final byte[] key = new byte[KEY_BYTES];
            KeyPool.writeKey(i, key, 0);
            map.put(ByteBuffer.wrap(key), new byte[valueSize]);
        }
        final long heapAfter = usedHeapAfterGc();
        final long liveBytes = (long) entries * (KEY_BYTES + valueSize);
        final long heapDelta = heapAfter - heapBefore;
        System.out.printf(Locale.ROOT, "%-8s %9d %6d %14d %14s %10.1f %12d %12d %12d %12s%n",
            "chm", map.size(), valueSize, liveBytes, "-", (double) (heapDelta - liveBytes) / entries,
            heapBefore, heapAfter, heapDelta, "-");
    }

    /**
     * Heap used after a full GC, once the direct buffers that GC found unreachable have been freed
     * by their cleaners (which run on another thread, a little after the GC), polled up to a
     * deadline, so that a closed store's slabs do not count against the next measurement.
     */
    private static long usedHeapAfterGc() {
        final long deadlineNs = System.nanoTime() + SETTLE_TIMEOUT_NS;
        long previous = -1;
        while (true) {
            System.gc();
            pause();
            final long direct = directBytes();
            if (direct == previous || System.nanoTime() > deadlineNs) {
                return MEMORY.getHeapMemoryUsage().getUsed();
            }
            previous = direct;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(SETTLE_POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the heap to settle", e);
        }
    }

    private static long directBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }

    private static int[] parse(String[] args) {
        final int[] counts = new int[args.length];
        for (int i = 0; i < args.length; i++) {
            counts[i] = Integer.parseInt(args[i]);
            if (counts[i] < 1) {
                throw new IllegalArgumentException("entry count " + args[i] + " must be positive");
            }
        }
        return counts;
    }
}
