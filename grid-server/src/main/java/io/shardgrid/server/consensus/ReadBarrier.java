package io.shardgrid.server.consensus;

import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Coalesces linearizable-read barriers of one partition: reads that arrive while a barrier is in
 * flight share the next one, so a burst of reads costs two Ratis read-index rounds, not one each.
 *
 * <p>Design notes: a read may only use a barrier that <em>started after it arrived</em> (otherwise
 * a write acknowledged between the barrier's start and the read's arrival could be missed). So a
 * read never joins the barrier in flight; it joins {@code next}, which starts the moment the one in
 * flight completes.
 */
final class ReadBarrier {
    private static final CompletableFuture<Void> PASSED = CompletableFuture.completedFuture(null);

    private final Supplier<CompletableFuture<Void>> barrier;
    private final LongSupplier leaderTerm;
    private final long leaseWindowNs;
    private boolean inFlight;
    private CompletableFuture<Void> next;
    private volatile long confirmedAtNs;
    private volatile long confirmedTerm = -1;

    /**
     * @param leaderTerm    the current term while this replica leads, else -1
     * @param leaseWindowNs how long after a passed round's start reads may skip a new round; 0 = never
     */
    ReadBarrier(Supplier<CompletableFuture<Void>> barrier, LongSupplier leaderTerm, long leaseWindowNs) {
        this.barrier = barrier;
        this.leaderTerm = leaderTerm;
        this.leaseWindowNs = leaseWindowNs;
    }

    CompletableFuture<Void> await() {
        long term = confirmedTerm;
        if (term >= 0 && System.nanoTime() - confirmedAtNs < leaseWindowNs && leaderTerm.getAsLong() == term) {
            return PASSED;
        }
        CompletableFuture<Void> waiter;
        synchronized (this) {
            if (inFlight) {
                if (next == null) {
                    next = new CompletableFuture<>();
                }
                return next;
            }
            inFlight = true;
            waiter = new CompletableFuture<>();
        }
        run(waiter);
        return waiter;
    }

    private void run(CompletableFuture<Void> waiter) {
        long startNs = System.nanoTime();
        long termAtStart = leaderTerm.getAsLong();
        CompletableFuture<Void> round;
        try {
            round = barrier.get();
        } catch (RuntimeException e) {
            round = CompletableFuture.failedFuture(e);
        }
        round.whenComplete((ok, error) -> {
            if (error == null && termAtStart >= 0 && termAtStart == leaderTerm.getAsLong()) {
                confirmedAtNs = startNs;
                confirmedTerm = termAtStart;
            }
            CompletableFuture<Void> following;
            synchronized (this) {
                following = next;
                next = null;
                inFlight = following != null;
            }
            if (following != null) {
                run(following);
            }
            if (error != null) {
                waiter.completeExceptionally(error);
            } else {
                waiter.complete(null);
            }
        });
    }
}
