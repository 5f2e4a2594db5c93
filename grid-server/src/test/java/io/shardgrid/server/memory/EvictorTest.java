package io.shardgrid.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EvictorTest {
    private final MemoryBudget budget = new MemoryBudget(2L << 20);
    private final OffHeapPartitionStore store = new OffHeapPartitionStore(0, budget);
    private final List<WriteCommand> proposed = new ArrayList<>();
    private boolean leader = true;
    /** Runs the evictor's sampling inline, as the housekeeping thread would. */
    private final Evictor evictor = new Evictor(new Groups(), () -> List.of(0), budget, EvictionPolicy.LRU,
        () -> 10 * 60_000L, Runnable::run);

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void evictsABatchOfIdleKeysThroughTheLogWhenAsked() {
        fill(100);
        assertThat(evictor.relieve(0).join()).isTrue();
        assertThat(proposed).hasSize(Evictor.KEYS_PER_BATCH).allMatch(c -> c.type() == WriteCommand.Type.EVICT);
        assertThat(store.size()).isEqualTo(100 - Evictor.KEYS_PER_BATCH);
        assertThat(store.stats().evictedCount()).isEqualTo(Evictor.KEYS_PER_BATCH);
    }

    @Test
    void evictsNothingFromAnEmptyPartitionOrOneThisNodeDoesNotLead() {
        assertThat(evictor.relieve(0).join()).isFalse();
        fill(10);
        leader = false;
        assertThat(evictor.relieve(0).join()).isFalse();
        assertThat(proposed).isEmpty();
    }

    @Test
    void evictsAheadOfTimeUntilThePartitionHasItsHeadroomAgain() {
        fill(10);
        assertThat(evictor.runOnce()).isZero();
        int written = 10;
        while (set("key-" + written, 1000) == PartitionStore.OK) {
            written++;
        }
        int passes = 0;
        while (evictor.runOnce() == 1) {
            passes++;
            assertThat(passes).as("passes until the headroom is back").isLessThan(100);
        }
        assertThat(passes).isPositive();
        assertThat(budget.availableBytes() + store.stats().freeBytes())
            .isGreaterThanOrEqualTo((long) (Evictor.HEADROOM_SHARE * budget.capacityBytes()));
        assertThat(set("key-" + written, 1000)).as("a write fits again").isEqualTo(PartitionStore.OK);
    }

    @Test
    void aPolicyIsRequired() {
        assertThatThrownBy(() -> new Evictor(new Groups(), List::of, budget, null, () -> 0, Runnable::run))
            .hasMessageContaining("policy");
    }

    private void fill(int keys) {
        for (int i = 0; i < keys; i++) {
            assertThat(set("key-" + i, 10)).isEqualTo(PartitionStore.OK);
        }
    }

    private int set(String key, int valueLength) {
        UnsafeBuffer k = new UnsafeBuffer(key.getBytes(StandardCharsets.UTF_8));
        UnsafeBuffer v = new UnsafeBuffer(new byte[valueLength]);
        return store.set(k, 0, k.capacity(), v, 0, valueLength, 0, 0);
    }

    /** Leads partition 0 (while {@link #leader}); applies each proposal at once. */
    private final class Groups implements ConsensusGroups {
        @Override
        public boolean hosts(int partitionId) {
            return partitionId == 0;
        }

        @Override
        public boolean isLeader(int partitionId) {
            return leader && partitionId == 0;
        }

        @Override
        public Optional<String> leaderOf(int partitionId) {
            return Optional.of("n1");
        }

        @Override
        public List<CompletableFuture<WriteResult>> write(int partitionId, List<WriteCommand> commands) {
            List<CompletableFuture<WriteResult>> futures = new ArrayList<>();
            for (WriteCommand c : commands) {
                proposed.add(c);
                boolean evicted = store.evict(new UnsafeBuffer(c.key()), 0, c.key().length);
                futures.add(CompletableFuture.completedFuture(new WriteResult(PartitionStore.OK, evicted, 0)));
            }
            return futures;
        }

        @Override
        public CompletableFuture<Void> readBarrier(int partitionId) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public PartitionStore store(int partitionId) {
            return store;
        }
    }
}
