package io.shardgrid.common.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The backoff on a fake clock: sleeping only advances it, so nothing here depends on real time. */
class RetryPolicyTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private long nowNanos = 1_000 * MS;
    private double nextRandom = 0.5;
    private final List<Long> slept = new ArrayList<>();

    private RetryPolicy policy(long initialMs, long maxMs) {
        return RetryPolicy.exponential(Duration.ofMillis(initialMs), Duration.ofMillis(maxMs))
            .withClock(() -> nowNanos, () -> nextRandom, nanos -> {
                slept.add(nanos);
                nowNanos += nanos;
            });
    }

    @Test
    void waitsDoubleFromTheInitialAndStopGrowingAtTheMax() {
        RetryPolicy.Backoff backoff = policy(10, 200).start(Duration.ofHours(1));
        nextRandom = Math.nextDown(1.0); // the top of each range
        List<Long> waitsMs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waitsMs.add(Math.round(backoff.nextDelayNanos() / (double) MS));
        }
        assertThat(waitsMs).containsExactly(10L, 20L, 40L, 80L, 160L, 200L, 200L, 200L);
        assertThat(backoff.waits()).isEqualTo(8);
    }

    @Test
    void jitterStaysWithinTheUpperHalfOfEachStep() {
        RetryPolicy.Backoff lowest = policy(10, 200).start(Duration.ofHours(1));
        nextRandom = 0.0;
        assertThat(lowest.nextDelayNanos()).isEqualTo(5 * MS);
        assertThat(lowest.nextDelayNanos()).isEqualTo(10 * MS);

        Random random = new Random(42);
        RetryPolicy jittered = RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(200))
            .withClock(() -> nowNanos, random::nextDouble, nanos -> nowNanos += nanos);
        long distinct = 0;
        for (int run = 0; run < 200; run++) {
            RetryPolicy.Backoff backoff = jittered.start(Duration.ofHours(1));
            long ceiling = 10 * MS;
            for (int step = 0; step < 7; step++) {
                long delay = backoff.nextDelayNanos();
                assertThat(delay).as("step %d", step).isBetween(ceiling / 2, ceiling);
                distinct += delay == ceiling ? 0 : 1;
                ceiling = Math.min(200 * MS, ceiling * 2);
            }
        }
        assertThat(distinct).as("waits below their step's ceiling").isGreaterThan(0);
    }

    @Test
    void neverWaitsPastTheDeadlineAndRethrowsTheLastFailure() {
        AtomicInteger attempts = new AtomicInteger();
        long startNanos = nowNanos;
        RetryPolicy policy = policy(10, 200);
        assertThatThrownBy(() -> policy.call(Duration.ofMillis(1_000), () -> {
            throw new IOException("attempt " + attempts.incrementAndGet());
        }, e -> true)).isInstanceOf(IOException.class).hasMessage("attempt " + attempts.get());
        long sleptNanos = slept.stream().mapToLong(Long::longValue).sum();
        assertThat(sleptNanos).isLessThanOrEqualTo(1_000 * MS);
        assertThat(nowNanos - startNanos).isEqualTo(sleptNanos);
        // Waits of 7.5, 15, 30, 60, 120, then 150 ms at random 0.5: ten fit in 1 s, the eleventh would cross it.
        assertThat(slept).hasSize(10);
        assertThat(attempts.get()).isEqualTo(11);
        assertThat(sleptNanos + slept.get(slept.size() - 1)).isGreaterThan(1_000 * MS);
    }

    @Test
    void aFailureTheCallerDoesNotRetryIsThrownAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> policy(10, 200).call(Duration.ofSeconds(10), () -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("bad input");
        }, e -> !(e instanceof IllegalStateException))).hasMessage("bad input");
        assertThat(attempts.get()).isEqualTo(1);
        assertThat(slept).isEmpty();
    }

    @Test
    void returnsTheFirstSuccess() {
        AtomicInteger attempts = new AtomicInteger();
        String result = policy(10, 200).call(Duration.ofSeconds(10), () -> {
            if (attempts.incrementAndGet() < 4) {
                throw new IllegalStateException("not yet");
            }
            return "done";
        }, e -> true);
        assertThat(result).isEqualTo("done");
        assertThat(slept).hasSize(3);
    }

    @Test
    void anInterruptEndsTheRetriesWithTheLastFailureAndTheFlagSet() {
        RetryPolicy interrupted = RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(200))
            .withClock(() -> nowNanos, () -> 0.5, nanos -> {
                throw new InterruptedException();
            });
        try {
            assertThatThrownBy(() -> interrupted.call(Duration.ofSeconds(10), () -> {
                throw new IOException("down");
            }, e -> true)).hasMessage("down");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aDeadlineAlreadyPastAllowsNoWait() {
        RetryPolicy.Backoff backoff = policy(10, 200).start(Duration.ofMillis(1));
        assertThat(backoff.nextDelayNanos()).isEqualTo(-1);
        assertThat(backoff.pause()).isFalse();
        assertThat(backoff.waits()).isZero();
        assertThat(slept).isEmpty();
    }

    @Test
    void badBoundsAreRefusedWithTheirValues() {
        assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ZERO, Duration.ofMillis(1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initial backoff 0 ns");
        assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(5)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below the initial");
    }
}
