package io.shardgrid.client.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * One call per item with at most {@code window} calls in flight, results in item order: a bulk
 * call larger than the per-node in-flight limit is paced instead of failing with
 * RESOURCE_EXHAUSTED. Completes once every call finished; with the first failure if any failed.
 */
public final class BoundedFanOut<T, R> {
    private final List<T> items;
    private final Function<T, CompletableFuture<R>> call;
    private final Object[] results;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger unfinished;
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final CompletableFuture<List<R>> done = new CompletableFuture<>();

    private BoundedFanOut(List<T> items, Function<T, CompletableFuture<R>> call) {
        this.items = items;
        this.call = call;
        this.results = new Object[items.size()];
        this.unfinished = new AtomicInteger(items.size());
    }

    public static <T, R> CompletableFuture<List<R>> map(List<T> items, int window,
                                                          Function<T, CompletableFuture<R>> call) {
        if (window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        BoundedFanOut<T, R> fanOut = new BoundedFanOut<>(List.copyOf(items), call);
        if (items.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        for (int i = 0; i < Math.min(window, items.size()); i++) {
            fanOut.startNext();
        }
        return fanOut.done;
    }

    /**
     * Starts calls for one free slot: the next item, and the one after when a call completed at once
     * (a near-cache hit), in a loop rather than from its callback, so a long list of those cannot
     * overflow the stack.
     */
    private void startNext() {
        for (int i = next.getAndIncrement(); i < items.size(); i = next.getAndIncrement()) {
            CompletableFuture<R> result;
            try {
                result = call.apply(items.get(i));
            } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e);
            }
            if (!result.isDone()) {
                int index = i;
                result.whenComplete((value, failure) -> {
                    if (finished(index, value, failure)) {
                        startNext();
                    }
                });
                return;
            }
            R value = null;
            Throwable failure = null;
            try {
                value = result.join();
            } catch (RuntimeException e) {
                failure = e.getCause() != null ? e.getCause() : e;
            }
            if (!finished(i, value, failure)) {
                return;
            }
        }
    }

    /** Records one call's outcome; false once it was the last (the result is then complete). */
    private boolean finished(int index, R value, Throwable failure) {
        if (failure != null) {
            firstFailure.compareAndSet(null, failure);
        } else {
            results[index] = value;
        }
        if (unfinished.decrementAndGet() == 0) {
            finish();
            return false;
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private void finish() {
        Throwable failure = firstFailure.get();
        if (failure != null) {
            done.completeExceptionally(failure);
        } else {
            done.complete((List<R>) new ArrayList<>(Arrays.asList(results)));
        }
    }
}
