package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one membership step (add a replica, move a leadership) on many partition groups at once.
 * Each step is a few raft round trips that mostly wait on the network and fsyncs, so a node that
 * joins a cluster of P partitions waited P times one step when they ran one after another
 * (bench/README, start-up).
 */
final class GroupSteps {
    /** Steps in flight at once: enough to overlap the waits without flooding a small box. */
    static final int PARALLELISM = 8;

    /** One step on one partition; may throw. */
    interface Step {
        void run(int partitionId) throws IOException;
    }

    private GroupSteps() {
    }

    /**
     * Runs {@code step} for every partition in {@code partitionIds}, at most {@link #PARALLELISM} at
     * once, and waits for all of them: a failed step does not stop the others. Throws the first
     * failure (the others suppressed in it) once every step has ended.
     */
    static void runAll(String name, List<Integer> partitionIds, Step step) throws IOException {
        if (partitionIds.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLELISM, partitionIds.size()),
            DaemonThreads.numbered(name));
        try {
            List<Future<?>> futures = new ArrayList<>(partitionIds.size());
            for (int p : partitionIds) {
                futures.add(pool.submit(() -> {
                    step.run(p);
                    return null;
                }));
            }
            IOException first = null;
            for (int i = 0; i < futures.size(); i++) {
                try {
                    futures.get(i).get();
                } catch (ExecutionException e) {
                    IOException failure = e.getCause() instanceof IOException io ? io
                        : new IOException("p" + partitionIds.get(i) + ": " + e.getCause(), e.getCause());
                    if (first == null) {
                        first = failure;
                    } else {
                        first.addSuppressed(failure);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for " + name);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
