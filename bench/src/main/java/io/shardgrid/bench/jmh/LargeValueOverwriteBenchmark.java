package io.shardgrid.bench.jmh;

import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Overwrites of values above the store's largest slab block (16 KiB), which live in a direct chunk
 * of their own: {@value #KEY_COUNT} keys, each overwritten in turn with a value of the same size.
 * Shows what an overwrite costs when it reuses the key's chunk against allocating a new direct
 * buffer each time ({@code gc.alloc.rate.norm} counts the buffer objects; the off-heap bytes show
 * only in time).
 *
 * <p>Run (about 1 minute):
 * <pre>
 * java -jar bench/target/benchmarks.jar LargeValueOverwriteBenchmark -prof gc -f 1 -wi 2 -i 3 -w 2s -r 3s
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g", "-XX:MaxDirectMemorySize=2g"})
@Threads(1)
@State(Scope.Benchmark)
public class LargeValueOverwriteBenchmark {
    static final int KEY_COUNT = 256;
    static final long NOW_MS = 1_700_000_000_000L;

    @Param({"20000", "100000"})
    public int valueSize;

    private PartitionStore store;
    private UnsafeBuffer[] keys;
    private UnsafeBuffer value;
    private int next;
    private long failedSets;

    @Setup
    public void setUp() {
        store = new OffHeapPartitionStore(0, new MemoryBudget(1L << 30));
        keys = new UnsafeBuffer[KEY_COUNT];
        byte[] bytes = new byte[valueSize];
        for (int i = 0; i < valueSize; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        value = new UnsafeBuffer(bytes);
        for (int i = 0; i < KEY_COUNT; i++) {
            keys[i] = new UnsafeBuffer(("large-" + i).getBytes(StandardCharsets.US_ASCII));
            if (set(i) != PartitionStore.OK) {
                throw new IllegalStateException("filling key " + i + " failed");
            }
        }
        failedSets = 0;
    }

    @TearDown
    public void tearDown() {
        store.close();
        if (failedSets != 0) {
            throw new IllegalStateException(failedSets + " overwrites failed");
        }
    }

    @Benchmark
    public int overwrite() {
        int status = set(next);
        next = (next + 1) % KEY_COUNT;
        if (status != PartitionStore.OK) {
            failedSets++;
        }
        return status;
    }

    private int set(int i) {
        UnsafeBuffer key = keys[i];
        return store.set(key, 0, key.capacity(), value, 0, valueSize, 0, NOW_MS);
    }
}
