package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

/** The end of the load threads that tests run against a cluster. */
public final class WorkerThreads {
    private WorkerThreads() {
    }

    /**
     * Waits up to {@code timeout} for {@code worker} to end and fails with its stack if it has not:
     * {@link Thread#join(long)} returns either way, and a test that reads what a live worker is
     * still writing checks nothing firm.
     */
    public static void awaitEnd(Thread worker, Duration timeout) throws InterruptedException {
        worker.join(timeout.toMillis());
        assertThat(worker.isAlive()).as(() -> worker.getName() + " still running " + timeout.toSeconds()
            + " s after it was told to stop, at:" + stack(worker)).isFalse();
    }

    private static String stack(Thread worker) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : worker.getStackTrace()) {
            b.append("\n\tat ").append(e);
        }
        return b.toString();
    }
}
