package io.shardgrid.common.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * How Shardgrid waits between attempts, everywhere it retries (the client, the HTTP API while
 * leadership moves, a node joining, the partition map's compare-and-set): jittered exponential
 * backoff within a deadline.
 *
 * <p>The n-th wait (from 0) is drawn uniformly from {@code [d/2, d]} where
 * {@code d = min(max, initial * 2^n)}: doubling finds a recovered peer fast without hammering a
 * struggling one, and the spread keeps callers that failed together from retrying together. A wait
 * that would end past the deadline is not taken: the caller gives up at once with its last error
 * rather than sleep into a deadline it cannot meet.
 *
 * <p>Immutable and thread-safe; each operation takes its own {@link Backoff}.
 */
public final class RetryPolicy {
    /** Sleeps; tests pass one that only advances their clock. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    /** One attempt of an operation, which may throw what its caller declares. */
    @FunctionalInterface
    public interface Attempt<T, E extends Exception> {
        T run() throws E;
    }

    private final long initialNanos;
    private final long maxNanos;
    private final LongSupplier nanoClock;
    private final DoubleSupplier random;
    private final Sleeper sleeper;

    private RetryPolicy(long initialNanos, long maxNanos, LongSupplier nanoClock, DoubleSupplier random,
                        Sleeper sleeper) {
        if (initialNanos <= 0) {
            throw new IllegalArgumentException("initial backoff " + initialNanos + " ns must be positive");
        }
        if (maxNanos < initialNanos) {
            throw new IllegalArgumentException("max backoff " + maxNanos + " ns is below the initial "
                + initialNanos + " ns");
        }
        this.initialNanos = initialNanos;
        this.maxNanos = maxNanos;
        this.nanoClock = nanoClock;
        this.random = random;
        this.sleeper = sleeper;
    }

    /** Waits from about {@code initial} doubling up to {@code max}, on the system clock. */
    public static RetryPolicy exponential(Duration initial, Duration max) {
        return new RetryPolicy(initial.toNanos(), max.toNanos(), System::nanoTime,
            () -> ThreadLocalRandom.current().nextDouble(), TimeUnit.NANOSECONDS::sleep);
    }

    /** The same policy reading time from {@code nanoClock}, jitter from {@code random} ([0, 1)), sleeping through {@code sleeper}. */
    public RetryPolicy withClock(LongSupplier nanoClock, DoubleSupplier random, Sleeper sleeper) {
        return new RetryPolicy(initialNanos, maxNanos, nanoClock, random, sleeper);
    }

    /** The backoff of one operation that must finish within {@code deadline} from now. */
    public Backoff start(Duration deadline) {
        return new Backoff(nanoClock.getAsLong() + deadline.toNanos());
    }

    /** The backoff of one operation whose deadline is the {@code System.nanoTime()}-style instant {@code deadlineNanos}. */
    public Backoff until(long deadlineNanos) {
        return new Backoff(deadlineNanos);
    }

    /**
     * Runs {@code attempt} until it returns, throws what {@code retryable} refuses, or the deadline
     * leaves no room for the next wait; then throws the last attempt's failure. An interrupt while
     * waiting ends the retries the same way, with the thread's interrupt flag set again.
     */
    public <T, E extends Exception> T call(Duration deadline, Attempt<T, E> attempt,
                                           Predicate<? super Exception> retryable) throws E {
        Backoff backoff = start(deadline);
        while (true) {
            try {
                return attempt.run();
            } catch (Exception e) {
                if (!retryable.test(e) || !backoff.pause()) {
                    throw RetryPolicy.<E>rethrow(e);
                }
            }
        }
    }

    /** {@code attempt} throws only E or unchecked exceptions, so this cast never lies. */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E rethrow(Exception e) throws E {
        throw (E) e;
    }

    /** The waits of one operation. Not thread-safe: one operation's attempts run one after another. */
    public final class Backoff {
        private final long deadlineNanos;
        private int waits;

        private Backoff(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        /**
         * The wait before the next attempt, and counts it; {@code -1} when that wait would end past
         * the deadline (nothing is counted then: the caller gives up).
         */
        public long nextDelayNanos() {
            long ceiling = initialNanos;
            for (int i = 0; i < waits && ceiling < maxNanos; i++) {
                ceiling = ceiling > maxNanos / 2 ? maxNanos : ceiling * 2; // doubles without overflowing
            }
            long delay = ceiling / 2 + (long) (random.getAsDouble() * (ceiling - ceiling / 2));
            if (nanoClock.getAsLong() + delay - deadlineNanos > 0) {
                return -1;
            }
            waits++;
            return delay;
        }

        /**
         * Sleeps the next wait; false, without sleeping, when it would end past the deadline or the
         * thread is interrupted (its interrupt flag then stays set).
         */
        public boolean pause() {
            long delay = nextDelayNanos();
            if (delay < 0) {
                return false;
            }
            try {
                sleeper.sleep(delay);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** Waits taken so far. */
        public int waits() {
            return waits;
        }

        /** Nanoseconds left before the deadline; negative once it passed. */
        public long remainingNanos() {
            return deadlineNanos - nanoClock.getAsLong();
        }
    }
}
