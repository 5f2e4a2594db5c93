package io.shardgrid.bench.load;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives a {@link KvTarget} for a fixed time and records every operation's latency.
 *
 * <p>Closed loop ({@code ratePerSecond == 0}): {@code concurrency} operations are kept in flight,
 * each started when one completes. Open loop: operations are due at a fixed rate and each latency
 * is measured from its <em>intended</em> start, so a stall shows up as the queueing delay users
 * would feel (no coordinated omission); at most {@code concurrency} are in flight, and a schedule
 * that falls behind keeps its intended times.
 */
final class LoadRun {
    private final KvTarget target;
    private final BenchOptions options;
    private final PrintStream progress;
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final LongAdder ops = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final List<long[]> timeline = new ArrayList<>();

    LoadRun(KvTarget target, BenchOptions options, PrintStream progress) {
        this.target = target;
        this.options = options;
        this.progress = progress;
    }

    BenchResult run() throws InterruptedException {
        if (options.warmupSeconds() > 0) {
            progress.printf("warming up for %d s%n", options.warmupSeconds());
            drive(TimeUnit.SECONDS.toNanos(options.warmupSeconds()), false);
            recorder.reset();
            ops.reset();
            errors.clear();
        }
        long startNs = System.nanoTime();
        drive(TimeUnit.SECONDS.toNanos(options.durationSeconds()), true);
        double seconds = (System.nanoTime() - startNs) / 1e9;
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((code, n) -> errorCounts.put(code, n.sum()));
        return new BenchResult(target.name(), options, total.getTotalCount(), seconds, total, errorCounts, timeline);
    }

    private void drive(long lengthNs, boolean measure) throws InterruptedException {
        Workload workload = new Workload(options.readRatio(), options.keys(), options.keySize(), options.zipf(),
            System.nanoTime());
        byte[] value = new byte[options.valueSize()];
        java.util.Arrays.fill(value, (byte) 'v');
        Semaphore slots = new Semaphore(options.concurrency());
        long startNs = System.nanoTime();
        long endNs = startNs + lengthNs;
        long intervalNs = options.rate() > 0 ? 1_000_000_000L / options.rate() : 0;
        long nextDueNs = startNs;
        long nextReportNs = startNs + 1_000_000_000L;
        long second = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= endNs) {
                break;
            }
            if (now >= nextReportNs) {
                report(++second, measure);
                nextReportNs += 1_000_000_000L;
            }
            long intendedNs;
            if (intervalNs > 0) {
                if (now < nextDueNs) {
                    long waitNs = Math.max(0, Math.min(nextDueNs - now, nextReportNs - now));
                    java.util.concurrent.locks.LockSupport.parkNanos(waitNs);
                    continue;
                }
                intendedNs = nextDueNs;
                nextDueNs += intervalNs;
            } else {
                intendedNs = -1;
            }
            if (!slots.tryAcquire(Math.max(1, (endNs - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
                break;
            }
            long issueNs = System.nanoTime();
            long measuredFromNs = intendedNs >= 0 ? intendedNs : issueNs;
            byte[] key = workload.key(workload.nextKeyIndex());
            CompletableFuture<?> op;
            try {
                op = workload.nextIsRead() ? target.get(key) : target.set(key, value, options.ttlMs());
            } catch (RuntimeException e) {
                op = CompletableFuture.failedFuture(e);
            }
            op.whenComplete((r, e) -> {
                long latencyNs = System.nanoTime() - measuredFromNs;
                slots.release();
                if (e != null) {
                    errors.computeIfAbsent(errorCode(e), k -> new LongAdder()).increment();
                } else {
                    recorder.recordValue(Math.max(1, latencyNs / 1000));
                    ops.increment();
                }
            });
        }
        // Let the operations in flight finish (bounded) so they are counted.
        slots.tryAcquire(options.concurrency(), 15, TimeUnit.SECONDS);
        report(++second, measure);
    }

    private void report(long second, boolean measure) {
        Histogram interval = recorder.getIntervalHistogram();
        long n = ops.sumThenReset();
        long errorTotal = errors.values().stream().mapToLong(LongAdder::sum).sum();
        if (measure) {
            total.add(interval);
            timeline.add(new long[] {second, n, interval.getValueAtPercentile(50), interval.getValueAtPercentile(99)});
        }
        progress.printf("%s %3ds %9d ops/s  p50 %7.2f ms  p99 %7.2f ms  errors %d%n", measure ? "run " : "warm",
            second, n, interval.getValueAtPercentile(50) / 1000.0, interval.getValueAtPercentile(99) / 1000.0,
            errorTotal);
    }

    private static String errorCode(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && (c instanceof java.util.concurrent.CompletionException)) {
            c = c.getCause();
        }
        if (c instanceof io.shardgrid.common.error.GridException g) {
            return g.code().name();
        }
        return c.getClass().getSimpleName();
    }
}
