package io.shardgrid.client;

import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.cluster.WorkerThreads;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes one partition hot for integration tests: writes fresh keys that all hash into it, up to
 * {@code inFlight} at once, remembering every acknowledged write and every failed call. Bounded: it
 * stops on {@link #stop()}, when its keys run out, or at its deadline.
 */
final class HotWriter implements AutoCloseable {
    private final GridClient client;
    private final List<String> keys;
    private final Semaphore inFlight;
    private final int permits;
    private final long deadlineNanos;
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private volatile long endNanos;

    /** Writes up to {@code maxKeys} keys that {@code map} routes to {@code partition}. */
    HotWriter(GridClient client, PartitionMap map, int partition, int maxKeys, int inFlight, long maxSeconds) {
        this.client = client;
        this.keys = new ArrayList<>(maxKeys);
        for (int i = 0; keys.size() < maxKeys; i++) {
            String key = "hot-" + i;
            if (map.partitionOf(key.getBytes(StandardCharsets.UTF_8)).partitionId() == partition) {
                keys.add(key);
            }
        }
        this.permits = inFlight;
        this.inFlight = new Semaphore(inFlight);
        this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        this.thread = new Thread(this::run, "hot-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            for (String key : keys) {
                if (stopped.get() || System.nanoTime() > deadlineNanos) {
                    break;
                }
                inFlight.acquire();
                String value = "h-" + key;
                client.set(key, value).whenComplete((ok, e) -> {
                    if (e == null) {
                        acknowledged.put(key, value);
                    } else {
                        errors.add(e);
                    }
                    inFlight.release();
                });
            }
            inFlight.acquire(permits); // the last writes answered
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            endNanos = System.nanoTime();
        }
    }

    /** Stops writing and waits for the writes in flight. */
    void stop() throws InterruptedException {
        stopped.set(true);
        WorkerThreads.awaitEnd(thread, Duration.ofSeconds(60));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    List<Throwable> errors() {
        return errors;
    }

    int acknowledgedWrites() {
        return acknowledged.size();
    }

    /** Acknowledged writes per second over the writer's run. */
    double writesPerSec() {
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        return acknowledged.size() * 1e9 / Math.max(1, end - startNanos);
    }

    /** Keys whose acknowledged value is not what a read returns now. */
    List<String> missingAcknowledgedWrites() {
        return ReadBack.missing(client, acknowledged);
    }
}
