package io.shardgrid.bench.jmh;

import static io.shardgrid.bench.jmh.KeyPool.KEY_BYTES;

import io.shardgrid.common.routing.Partitioner;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Partitioner#partitionOf} over {@value KeyPool#KEY_BYTES}-byte keys: a {@code byte[]} slice
 * (the client's case), and a heap and a direct {@link ByteBuffer} framed by position and limit (a
 * key read out of a request buffer). Each must show {@code gc.alloc.rate.norm} ≈ 0 B/op.
 *
 * <p>Run (about 30 seconds):
 * <pre>
 * java -jar bench/target/benchmarks.jar PartitionerBenchmark -prof gc -f 1 -wi 2 -i 3 -w 2s -r 3s
 * </pre>
 *
 * <p>The direct-buffer case measures the copy into a per-thread scratch array that {@code Partitioner}
 * makes so that callers need no {@code sun.nio.ch} export.
 *
 * <p>Keys come from a pre-generated uniform request stream of {@value #REQUEST_COUNT} keys (1 MiB,
 * cache resident), so the figure is the hash, not memory latency.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"})
@Threads(1)
@State(Scope.Benchmark)
public class PartitionerBenchmark {
    static final int REQUEST_COUNT = 1 << 16;

    private static final int REQUEST_MASK = REQUEST_COUNT - 1;

    @Param({"256"})
    public int partitionCount;

    private Partitioner partitioner;
    private byte[] requests;
    private ByteBuffer heapRequests;
    private ByteBuffer directRequests;
    private int cursor;

    @Setup
    public void setUp() {
        partitioner = new Partitioner(partitionCount);
        requests = KeyPool.requests(KeyPool.UNIFORM, StoreBenchmark.KEY_COUNT, REQUEST_COUNT);
        heapRequests = ByteBuffer.wrap(requests);
        directRequests = ByteBuffer.allocateDirect(requests.length);
        directRequests.put(requests).clear();
    }

    @Benchmark
    public int partitionOfBytes() {
        return partitioner.partitionOf(requests, nextRequestOffset(), KEY_BYTES);
    }

    @Benchmark
    public int partitionOfHeapBuffer() {
        final int offset = nextRequestOffset();
        return partitioner.partitionOf(heapRequests.limit(offset + KEY_BYTES).position(offset));
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"})
    public int partitionOfDirectBuffer() {
        final int offset = nextRequestOffset();
        return partitioner.partitionOf(directRequests.limit(offset + KEY_BYTES).position(offset));
    }

    private int nextRequestOffset() {
        return (cursor++ & REQUEST_MASK) * KEY_BYTES;
    }
}
