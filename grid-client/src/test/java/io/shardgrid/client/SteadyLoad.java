package io.shardgrid.client;

import io.shardgrid.server.cluster.WorkerThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * A steady mixed load for integration tests: a few threads alternate writes of fresh keys with
 * reads of earlier ones, remember every acknowledged write and every failed call, and record
 * latency per named phase, so a test can say what its clients saw before, during and after a change.
 * Bounded: it stops on {@link #stop()}, after {@code maxOps} operations, or at its deadline.
 */
final class SteadyLoad implements AutoCloseable {
    private final GridClient client;
    private final int maxOps;
    private final long deadlineNanos;
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger sequence = new AtomicInteger();
    private final Map<String, Histogram> phases = new LinkedHashMap<>();
    private final Map<String, Long> phaseStartMs = new LinkedHashMap<>();
    private final AtomicReference<Histogram> current = new AtomicReference<>();
    private final List<Thread> workers = new ArrayList<>();
    private final List<String> slowCalls = new CopyOnWriteArrayList<>();
    private final long startNanos = System.nanoTime();

    SteadyLoad(GridClient client, int threads, int maxOps, long maxSeconds, String firstPhase) {
        this.client = client;
        this.maxOps = maxOps;
        this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        phase(firstPhase);
        for (int w = 0; w < threads; w++) {
            Thread t = new Thread(this::run, "steady-load-" + w);
            t.setDaemon(true);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    /** Latency from now on counts under this name. */
    synchronized void phase(String name) {
        Histogram h = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(1), 3);
        phases.put(name, h);
        phaseStartMs.put(name, (System.nanoTime() - startNanos) / 1_000_000);
        current.set(h);
    }

    /** Lets the load run in the current layout for at least {@code atLeast} and {@code ops} more operations. */
    void runFor(Duration atLeast, int ops) {
        int before = operations();
        org.awaitility.Awaitility.await().pollDelay(atLeast).atMost(atLeast.plusSeconds(60))
            .until(() -> operations() > before + ops);
    }

    int operations() {
        return sequence.get();
    }

    int acknowledgedWrites() {
        return acknowledged.size();
    }

    /** The keys whose writes were acknowledged so far. */
    Set<String> acknowledgedKeys() {
        return Set.copyOf(acknowledged.keySet());
    }

    List<Throwable> errors() {
        return errors;
    }

    private void run() {
        while (!stopped.get() && System.nanoTime() < deadlineNanos) {
            int i = sequence.incrementAndGet();
            if (i > maxOps) {
                return;
            }
            String key = "steady-" + i;
            String value = "v" + i;
            Histogram h = current.get();
            long start = System.nanoTime();
            try {
                if (i % 2 == 0) {
                    client.get("steady-" + (i / 2)).join();
                } else {
                    client.set(key, value).join();
                    acknowledged.put(key, value);
                }
                long micros = (System.nanoTime() - start) / 1000;
                h.recordValue(Math.min(h.getHighestTrackableValue(), micros));
                if (micros > 1_000_000) {
                    slowCalls.add(String.format("%s %s took %d ms, from %d ms after the start",
                        i % 2 == 0 ? "get" : "set", i % 2 == 0 ? "steady-" + (i / 2) : key, micros / 1000,
                        (start - startNanos) / 1_000_000));
                }
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
    }

    /** Stops the workers and waits for them. */
    void stop() throws InterruptedException {
        stopped.set(true);
        for (Thread t : workers) {
            WorkerThreads.awaitEnd(t, Duration.ofSeconds(60));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** Keys whose acknowledged value is not what a read returns now. */
    List<String> missingAcknowledgedWrites() {
        return ReadBack.missing(client, acknowledged);
    }

    /** One line per phase: operations, p50, p99 and max in milliseconds. */
    synchronized String report() {
        StringBuilder out = new StringBuilder(String.format("%-40s %9s %8s %8s %8s %8s%n", "phase", "start ms",
            "ops", "p50 ms", "p99 ms", "max ms"));
        phases.forEach((name, h) -> out.append(String.format("%-40s %9d %8d %8.2f %8.2f %8.2f%n", name,
            phaseStartMs.get(name),
            h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
            h.getMaxValue() / 1000.0)));
        slowCalls.forEach(c -> out.append("slow call: ").append(c).append('\n'));
        return out.toString();
    }
}
