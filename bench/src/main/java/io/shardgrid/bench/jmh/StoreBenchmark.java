package io.shardgrid.bench.jmh;

import static io.shardgrid.bench.jmh.KeyPool.KEY_BYTES;

import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
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
 * Get and set throughput of one {@link OffHeapPartitionStore} holding {@value #KEY_COUNT} keys of
 * {@value KeyPool#KEY_BYTES} bytes, against a {@code ConcurrentHashMap<ByteBuffer, byte[]>} holding
 * the same keys and values, in one run.
 *
 * <p>Run (about 6 minutes on 2 cores):
 * <pre>
 * java -jar bench/target/benchmarks.jar StoreBenchmark -prof gc -f 1 -wi 2 -i 3 -w 2s -r 3s
 * </pre>
 * Narrow it with {@code -p valueSize=100 -p distribution=zipfian -p impl=offheap}.
 *
 * <p>What each operation does, and why it is a fair comparison:
 * <ul>
 *   <li>The next key is read from a pre-generated request stream ({@link KeyPool}): one masked
 *       increment, no allocation, sequential memory — like a key sitting in a request buffer. The
 *       store reads it through an {@link UnsafeBuffer}; the map through one reused heap
 *       {@link ByteBuffer} whose position and limit frame the key. The map's own keys are separate
 *       {@code ByteBuffer}s over a separate array, so the lookup compares bytes rather than
 *       short-circuiting on reference equality.</li>
 *   <li><b>get</b> copies the value out: the store into a reused direct buffer (its contract), the
 *       map with {@code System.arraycopy} into a reused {@code byte[]} — both end with the value
 *       bytes in a caller-owned buffer, as a server writing a response needs.</li>
 *   <li><b>set</b> overwrites a key that exists with a value of the same size (steady state, no
 *       growth). The store copies the value bytes into its memory. The map stores a fresh
 *       {@code byte[]} copy of the value: an on-heap store must copy, because the request buffer
 *       is reused; the existing key object is kept by the map, so no key is allocated. The map's
 *       {@code gc.alloc.rate.norm} is therefore about {@code valueSize + 16} bytes by design.</li>
 *   <li>Both run on one thread: the store has one writer per partition by contract.</li>
 * </ul>
 *
 * <p>Each {@code @Param} combination runs in its own fork, and the setup fills only the
 * implementation under test, so an off-heap fork has an almost empty heap and a map fork no
 * off-heap data. The budget is {@value #BUDGET_BYTES} bytes; direct memory counts against
 * {@code -XX:MaxDirectMemorySize}, hence the fork's JVM flags.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "-Xms3g", "-Xmx3g", "-XX:MaxDirectMemorySize=6g",
    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"})
@Threads(1)
@State(Scope.Benchmark)
public class StoreBenchmark {
    static final int KEY_COUNT = 1_000_000;
    static final long BUDGET_BYTES = 4L << 30;
    /** Entries in the request stream: 2^20 keys, 16 MiB, replayed in a loop. */
    static final int REQUEST_COUNT = 1 << 20;
    static final long NOW_MS = 1_700_000_000_000L;
    static final long NEVER_EXPIRES = 0;

    private static final int REQUEST_MASK = REQUEST_COUNT - 1;
    private static final String OFF_HEAP = "offheap";
    private static final String CHM = "chm";

    @Param({OFF_HEAP, CHM})
    public String impl;

    @Param({"16", "100", "1024"})
    public int valueSize;

    @Param({KeyPool.UNIFORM, KeyPool.ZIPFIAN})
    public String distribution;

    private boolean offHeap;
    private int cursor;
    private long misses;
    private long failedSets;

    private UnsafeBuffer requestKeys;
    private ByteBuffer requestProbe;
    private byte[] value;
    private UnsafeBuffer valueBuffer;
    private UnsafeBuffer dst;
    private byte[] dstArray;

    private PartitionStore store;
    private ConcurrentHashMap<ByteBuffer, byte[]> map;

    @Setup
    public void setUp() {
        final byte[] requests = KeyPool.requests(distribution, KEY_COUNT, REQUEST_COUNT);
        requestKeys = new UnsafeBuffer(requests);
        requestProbe = ByteBuffer.wrap(requests);
        value = new byte[valueSize];
        for (int i = 0; i < valueSize; i++) {
            value[i] = (byte) ('a' + i % 26);
        }
        valueBuffer = new UnsafeBuffer(value);
        dst = new UnsafeBuffer(ByteBuffer.allocateDirect(valueSize));
        dstArray = new byte[valueSize];

        switch (impl) {
            case OFF_HEAP:
                offHeap = true;
                store = filledStore();
                break;
            case CHM:
                offHeap = false;
                map = filledMap();
                break;
            default:
                throw new IllegalArgumentException("impl '" + impl + "' must be " + OFF_HEAP + " or " + CHM);
        }
        final int length = get();
        if (length != valueSize) {
            throw new IllegalStateException(impl + ": first get returned " + length + ", expected " + valueSize);
        }
        cursor = 0;
        misses = 0;
    }

    private PartitionStore filledStore() {
        final PartitionStore s = new OffHeapPartitionStore(0, new MemoryBudget(BUDGET_BYTES));
        final byte[] key = new byte[KEY_BYTES];
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
        for (int i = 0; i < KEY_COUNT; i++) {
            KeyPool.writeKey(i, key, 0);
            final int status = s.set(keyBuffer, 0, KEY_BYTES, valueBuffer, 0, valueSize, NEVER_EXPIRES, NOW_MS);
            if (status != PartitionStore.OK) {
                throw new IllegalStateException("set of key " + i + " returned " + status);
            }
        }
        if (s.size() != KEY_COUNT) {
            throw new IllegalStateException("store holds " + s.size() + " entries, expected " + KEY_COUNT);
        }
        return s;
    }

    private ConcurrentHashMap<ByteBuffer, byte[]> filledMap() {
        final byte[] keys = KeyPool.allKeys(KEY_COUNT);
        final ConcurrentHashMap<ByteBuffer, byte[]> m = new ConcurrentHashMap<>(KEY_COUNT);
        for (int i = 0; i < KEY_COUNT; i++) {
            m.put(ByteBuffer.wrap(keys, i * KEY_BYTES, KEY_BYTES).slice(), value.clone());
        }
        return m;
    }

    @TearDown
    public void tearDown() {
        if (store != null) {
            store.close();
            store = null;
        }
        map = null;
        if (misses != 0 || failedSets != 0) {
            throw new IllegalStateException(impl + ": " + misses + " gets missed, " + failedSets + " sets failed");
        }
    }

    @Benchmark
    public int get() {
        final int offset = nextRequestOffset();
        final int length;
        if (offHeap) {
            length = store.get(requestKeys, offset, KEY_BYTES, NOW_MS, dst, 0);
        } else {
            final byte[] v = map.get(requestProbe.limit(offset + KEY_BYTES).position(offset));
            if (v == null) {
                length = PartitionStore.ABSENT;
            } else {
                System.arraycopy(v, 0, dstArray, 0, v.length);
                length = v.length;
            }
        }
        if (length < 0) {
            misses++;
        }
        return length;
    }

    @Benchmark
    public int set() {
        final int offset = nextRequestOffset();
        final int status;
        if (offHeap) {
            status = store.set(requestKeys, offset, KEY_BYTES, valueBuffer, 0, valueSize, NEVER_EXPIRES, NOW_MS);
        } else {
            // Every request key is present, so put replaces the value and keeps the map's own key:
            // the reused probe is never stored.
            map.put(requestProbe.limit(offset + KEY_BYTES).position(offset), Arrays.copyOf(value, valueSize));
            status = PartitionStore.OK;
        }
        if (status != PartitionStore.OK) {
            failedSets++;
        }
        return status;
    }

    private int nextRequestOffset() {
        return (cursor++ & REQUEST_MASK) * KEY_BYTES;
    }
}
