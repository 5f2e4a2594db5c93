package io.shardgrid.server.consensus;

import java.util.concurrent.CompletableFuture;
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
    private final Supplier<CompletableFuture<Void>> barrier;
    private boolean inFlight;
    private CompletableFuture<Void> next;

    ReadBarrier(Supplier<CompletableFuture<Void>> barrier) {
        this.barrier = barrier;
    }

    CompletableFuture<Void> await() {
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
        CompletableFuture<Void> round;
        try {
            round = barrier.get();
        } catch (RuntimeException e) {
            round = CompletableFuture.failedFuture(e);
        }
        round.whenComplete((ok, error) -> {
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
