package io.shardgrid.client.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BoundedFanOutTest {
    @Test
    void neverMoreThanTheWindowInFlightAndResultsInItemOrder() {
        List<Integer> items = IntStream.range(0, 1_000).boxed().toList();
        Deque<Map.Entry<Integer, CompletableFuture<Integer>>> open = new ArrayDeque<>();
        CompletableFuture<List<Integer>> all = BoundedFanOut.map(items, 7, i -> {
            CompletableFuture<Integer> call = new CompletableFuture<>();
            open.add(Map.entry(i, call));
            return call;
        });
        int most = 0;
        while (!open.isEmpty()) {
            most = Math.max(most, open.size());
            // Answered out of order: the newest call first.
            Map.Entry<Integer, CompletableFuture<Integer>> call = open.pollLast();
            call.getValue().complete(call.getKey() * 10);
        }
        assertThat(most).isEqualTo(7);
        assertThat(all.join()).isEqualTo(items.stream().map(i -> i * 10).toList());
    }

    @Test
    void aFailureIsReportedOnceEveryCallFinished() {
        List<CompletableFuture<String>> calls = new ArrayList<>();
        CompletableFuture<List<String>> all = BoundedFanOut.map(List.of("a", "b", "c"), 3, s -> {
            CompletableFuture<String> call = new CompletableFuture<>();
            calls.add(call);
            return call;
        });
        calls.get(1).completeExceptionally(new IllegalStateException("b failed"));
        calls.get(0).complete("a");
        assertThat(all).isNotDone();
        calls.get(2).complete("c");
        assertThatThrownBy(all::join).isInstanceOf(CompletionException.class).hasMessageContaining("b failed");
    }

    @Test
    void callsThatCompleteAtOnceDoNotNestAndNothingIsLeftOut() {
        // A near-cache hit completes at once: 200,000 of them in a row must not overflow the stack.
        List<Integer> items = IntStream.range(0, 200_000).boxed().toList();
        List<Integer> result = BoundedFanOut.map(items, 4, CompletableFuture::completedFuture).join();
        assertThat(result).isEqualTo(items);
        assertThat(BoundedFanOut.map(List.<Integer>of(), 4, CompletableFuture::completedFuture).join()).isEmpty();
        assertThatThrownBy(() -> BoundedFanOut.map(items, 0, CompletableFuture::completedFuture))
            .hasMessageContaining("window 0");
    }
}
