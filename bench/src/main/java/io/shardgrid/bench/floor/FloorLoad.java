package io.shardgrid.bench.floor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;

/**
 * One row of load: {@code writers} closed-loop writers, writer i sending through group i mod G's
 * client with {@code async().send}, each sending its next entry when the previous one is
 * acknowledged. Warm-up, then a measured window bracketed by {@link ProcSample}s of the servers,
 * then a stop that waits for the requests in flight (bounded).
 */
final class FloorLoad {
    private static final long HIGHEST_US = TimeUnit.SECONDS.toMicros(120);
    private static final long RETRY_AFTER_ERROR_MS = 50;
    private static final long DRAIN_TIMEOUT_MS = 20_000;

    private final Recorder latencyUs = new Recorder(HIGHEST_US, 3);
    private final AtomicLong acked = new AtomicLong();
    private final LongAdder errors = new LongAdder();
    private final LongAdder mismatches = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "floor-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stopping;
    private volatile Throwable firstError;

    private final class Writer {
        final RaftClient client;
        final Message message;
        final int ops;
        long sentNs;

        Writer(RaftClient client, Message message, int ops) {
            this.client = client;
            this.message = message;
            this.ops = ops;
        }

        void sendNext() {
            if (stopping) {
                inFlight.decrementAndGet();
                return;
            }
            sentNs = System.nanoTime();
            CompletableFuture<RaftClientReply> f;
            try {
                f = client.async().send(message);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete(this::onReply);
        }

        void onReply(RaftClientReply reply, Throwable error) {
            long latencyNs = System.nanoTime() - sentNs;
            if (error != null || reply == null || !reply.isSuccess()) {
                errors.increment();
                if (firstError == null) {
                    firstError = error != null ? error : reply == null ? new IOException("null reply")
                        : reply.getException();
                }
                retries.schedule(this::sendNext, RETRY_AFTER_ERROR_MS, TimeUnit.MILLISECONDS);
                return;
            }
            if (FloorEntry.replyCount(reply.getMessage()) != ops) {
                mismatches.increment();
            }
            latencyUs.recordValue(Math.min(HIGHEST_US, Math.max(1, latencyNs / 1_000)));
            acked.incrementAndGet();
            sendNext();
        }
    }

    /**
     * Sends one entry to every group and waits for each, so elections and connection set-up are
     * done before any row is timed.
     */
    static void prime(List<RaftClient> clients, long timeoutMs) throws IOException {
        Message m = FloorEntry.message(1, 1);
        List<CompletableFuture<RaftClientReply>> replies = new ArrayList<>();
        for (RaftClient c : clients) {
            replies.add(c.async().send(m));
        }
        try {
            CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(timeoutMs, TimeUnit.MILLISECONDS);
            for (CompletableFuture<RaftClientReply> r : replies) {
                if (!r.join().isSuccess() || FloorEntry.replyCount(r.join().getMessage()) != 1) {
                    throw new IOException("priming write failed: " + r.join());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while priming", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("priming " + clients.size() + " groups did not finish within " + timeoutMs + " ms", e);
        }
    }

    /** Runs the row and returns its measurements; the caller's clients stay open. */
    static FloorRow run(List<RaftClient> clients, List<Long> serverPids, String durability, int opsPerEntry,
                        int writers, long warmupMs, long measureMs, long clockTicksPerSecond)
            throws IOException, InterruptedException {
        return new FloorLoad().go(clients, serverPids, durability, opsPerEntry, writers, warmupMs, measureMs,
            clockTicksPerSecond);
    }

    private FloorRow go(List<RaftClient> clients, List<Long> serverPids, String durability, int opsPerEntry,
                        int writers, long warmupMs, long measureMs, long clockTicksPerSecond)
            throws IOException, InterruptedException {
        try {
            List<Writer> ws = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                ws.add(new Writer(clients.get(i % clients.size()), FloorEntry.message(opsPerEntry, i + 1L),
                    opsPerEntry));
            }
            inFlight.set(writers);
            ws.forEach(Writer::sendNext);

            Thread.sleep(warmupMs);
            latencyUs.getIntervalHistogram();
            long entries0 = acked.get();
            ProcSample s0 = ProcSample.of(serverPids);
            long t0 = System.nanoTime();

            Thread.sleep(Math.max(1, measureMs));
            long entries1 = acked.get();
            long t1 = System.nanoTime();
            ProcSample s1 = ProcSample.of(serverPids);
            Histogram h = latencyUs.getIntervalHistogram();

            stopping = true;
            long deadline = System.currentTimeMillis() + DRAIN_TIMEOUT_MS;
            while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            if (inFlight.get() > 0) {
                throw new IOException(inFlight.get() + " requests still in flight " + DRAIN_TIMEOUT_MS
                    + " ms after the row ended");
            }
            if (firstError != null) {
                System.err.println("floor: " + errors.sum() + " failed requests; first: " + firstError);
            }
            long entries = entries1 - entries0;
            double perEntry = Math.max(1, entries);
            double cpuUs = (s1.cpuTicks() - s0.cpuTicks()) * 1e6 / clockTicksPerSecond;
            long totalTicks = s1.machineTotalTicks() - s0.machineTotalTicks();
            double busyPct = totalTicks <= 0 ? 0
                : 100.0 * (s1.machineBusyTicks() - s0.machineBusyTicks()) / totalTicks;
            return new FloorRow(clients.size(), opsPerEntry, writers, durability, (t1 - t0) / 1e9, entries,
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue(), cpuUs / perEntry,
                (s1.ctxtSwitches() - s0.ctxtSwitches()) / perEntry, (s1.machineCtxt() - s0.machineCtxt()) / perEntry,
                busyPct, s1.threads(), errors.sum(), mismatches.sum());
        } finally {
            stopping = true;
            retries.shutdownNow();
        }
    }
}
