package io.shardgrid.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadRunTest {
    /** Answers at once, except that one call stalls its caller (as a blocking client would). */
    static final class StallingTarget implements KvTarget {
        final AtomicLong calls = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicBoolean stalled = new AtomicBoolean();
        final long stallAfterCalls;
        final long stallMs;

        StallingTarget(long stallAfterCalls, long stallMs) {
            this.stallAfterCalls = stallAfterCalls;
            this.stallMs = stallMs;
        }

        private CompletableFuture<?> answer() {
            if (calls.incrementAndGet() >= stallAfterCalls && stalled.compareAndSet(false, true)) {
                try {
                    Thread.sleep(stallMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<?> get(byte[] key) {
            reads.incrementAndGet();
            return answer();
        }

        @Override
        public CompletableFuture<?> set(byte[] key, byte[] value, long ttlMs) {
            return answer();
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }

    private static BenchOptions options(int rate, double readRatio) {
        return new BenchOptions("T", readRatio, 1000, 16, 10, 0, 64, 1, 1, rate, 0, 2, 0);
    }

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void openLoopChargesAStallToEveryOperationThatWasDueDuringIt() throws Exception {
        StallingTarget target = new StallingTarget(500, 300);
        BenchResult result = new LoadRun(target, options(1000, 0.5), QUIET).run();
        // About 300 operations were due while the caller was stalled; each carries its wait.
        assertThat(result.latencyUs().getValueAtPercentile(90)).isGreaterThan(50_000);
        assertThat(result.latencyUs().getMaxValue()).isGreaterThanOrEqualTo(250_000);
    }

    @Test
    void closedLoopHidesTheSameStallInOneSample() throws Exception {
        StallingTarget target = new StallingTarget(500, 300);
        BenchResult result = new LoadRun(target, options(0, 0.5), QUIET).run();
        assertThat(result.latencyUs().getValueAtPercentile(90)).isLessThan(50_000);
    }

    @Test
    void readRatioIsHonoured() throws Exception {
        StallingTarget target = new StallingTarget(Long.MAX_VALUE, 0);
        new LoadRun(target, options(5000, 0.95), QUIET).run();
        double share = (double) target.reads.get() / target.calls.get();
        assertThat(share).isBetween(0.9, 1.0);
    }

    @Test
    void reportsCarryTheFiguresAsJsonAndHtml(@TempDir Path dir) throws Exception {
        BenchResult result = new LoadRun(new StallingTarget(Long.MAX_VALUE, 0), options(2000, 0.5), QUIET).run();
        Path json = dir.resolve("r.json");
        Path html = dir.resolve("r.html");
        result.write(json, html);
        JsonNode j = new ObjectMapper().readTree(Files.readString(json));
        assertThat(j.get("target").asText()).isEqualTo("fake");
        assertThat(j.get("ops_per_s").asDouble()).isPositive();
        assertThat(j.get("latency_ms").get("p99").asDouble()).isGreaterThanOrEqualTo(0);
        assertThat(j.get("timeline").isArray()).isTrue();
        assertThat(j.get("timeline").get(0).has("ops")).isTrue();
        assertThat(result.operations()).isGreaterThan(1000);
        assertThat(Files.readString(html)).contains("<svg").contains("<polyline").contains("ops_per_s");
    }
}
