package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ReadBarrierTest {
    private final List<CompletableFuture<Void>> rounds = new ArrayList<>();
    private long term = -1;
    private final ReadBarrier barrier = new ReadBarrier(this::newRound, () -> -1, 0);

    private CompletableFuture<Void> newRound() {
        CompletableFuture<Void> round = new CompletableFuture<>();
        rounds.add(round);
        return round;
    }

    @Test
    void readsArrivingDuringARoundShareTheNextRoundNeverTheCurrentOne() {
        CompletableFuture<Void> first = barrier.await();
        CompletableFuture<Void> second = barrier.await();
        CompletableFuture<Void> third = barrier.await();
        assertThat(rounds).hasSize(1);

        rounds.get(0).complete(null);
        assertThat(first).isCompleted();
        assertThat(second).isNotCompleted();
        assertThat(third).isSameAs(second);
        assertThat(rounds).hasSize(2);

        rounds.get(1).complete(null);
        assertThat(second).isCompleted();
        CompletableFuture<Void> later = barrier.await();
        assertThat(rounds).hasSize(3);
        assertThat(later).isNotCompleted();
    }

    @Test
    void aFailedRoundFailsOnlyItsOwnReadersAndTheNextRoundStillRuns() {
        CompletableFuture<Void> first = barrier.await();
        CompletableFuture<Void> second = barrier.await();
        rounds.get(0).completeExceptionally(new IllegalStateException("not leader"));
        assertThat(first).isCompletedExceptionally();
        assertThat(second).isNotCompleted();
        rounds.get(1).complete(null);
        assertThat(second).isCompleted();
    }

    @Test
    void withinTheLeaseWindowReadsSkipTheRoundUntilTheTermChanges() {
        term = 7;
        ReadBarrier leased = new ReadBarrier(this::newRound, () -> term, java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
        CompletableFuture<Void> first = leased.await();
        rounds.get(0).complete(null);
        assertThat(first).isCompleted();

        assertThat(leased.await()).isCompleted();
        assertThat(rounds).hasSize(1);

        term = 8;
        assertThat(leased.await()).isNotCompleted();
        assertThat(rounds).hasSize(2);
    }

    @Test
    void aFailedRoundGrantsNoLease() {
        term = 3;
        ReadBarrier leased = new ReadBarrier(this::newRound, () -> term, java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
        leased.await();
        rounds.get(0).completeExceptionally(new IllegalStateException("not leader"));
        assertThat(leased.await()).isNotCompleted();
        assertThat(rounds).hasSize(2);
    }
}
