package io.shardgrid.server.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.core.ports.ConsensusGroups;
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
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExpirySweeperTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final OffHeapPartitionStore store = new OffHeapPartitionStore(0, new MemoryBudget(64L << 20));
    private final FakeGroups groups = new FakeGroups();
    private final ExpirySweeper sweeper = new ExpirySweeper(groups, () -> List.of(0), now::get, 100);

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void proposesExpiredKeysBoundedPerPassAndOneProposalAtATime() {
        for (int i = 0; i < 2000; i++) {
            set("k" + i, i < 1500 ? 1_500 : 0);
        }
        now.set(2_000);
        assertThat(sweeper.runOnce()).isEqualTo(ExpirySweeper.MAX_KEYS_PER_PASS);
        assertThat(sweeper.runOnce()).as("the first proposal is still in flight").isZero();
        groups.commitAll();
        int proposed = ExpirySweeper.MAX_KEYS_PER_PASS;
        for (int pass = 0; pass < 20 && proposed < 1500; pass++) {
            proposed += sweeper.runOnce();
            groups.commitAll();
        }
        assertThat(proposed).isEqualTo(1500);
        assertThat(groups.proposed).allMatch(c -> c.type() == WriteCommand.Type.EXPIRE).hasSize(1500);
        assertThat(store.size()).isEqualTo(500);
    }

    @Test
    void proposesNothingWhereThisNodeDoesNotLeadOrNothingExpired() {
        set("k", 1_500);
        assertThat(sweeper.runOnce()).isZero();
        now.set(2_000);
        groups.leader = false;
        assertThat(sweeper.runOnce()).isZero();
        groups.leader = true;
        assertThat(sweeper.runOnce()).isEqualTo(1);
    }

    @Test
    void aLargeTableIsWalkedEndToEndAtFullPaceBeforeIdlePassesBackOff() {
        for (int i = 0; i < 20_000; i++) {
            set("persistent-" + i, 0);
        }
        set("dies", 1_500);
        now.set(2_000);
        int found = 0;
        // One pass per interval: the walk reaches the expired key within one cycle of the table.
        for (int pass = 0; pass < 40 && found == 0; pass++) {
            found = sweeper.runOnce();
            now.addAndGet(100);
        }
        assertThat(found).isEqualTo(1);
    }

    @Test
    void aWallClockStepBackNeitherStallsThePassesNorHidesKeysThePartitionClockSawExpire() {
        now.set(100_000);
        set("k", 100_500);
        assertThat(sweeper.runOnce()).as("nothing expired yet").isZero();
        groups.partitionClockMs = 101_000; // an entry stamped after the deadline was applied
        now.set(40_000); // then this node's wall clock steps back a minute
        assertThat(sweeper.runOnce()).as("the pass planned for 100 100 runs now, at the partition clock").isEqualTo(1);
    }

    private void set(String key, long expireAtMs) {
        UnsafeBuffer k = new UnsafeBuffer(key.getBytes(StandardCharsets.UTF_8));
        assertThat(store.set(k, 0, k.capacity(), k, 0, k.capacity(), expireAtMs, now.get())).isEqualTo(PartitionStore.OK);
    }

    /** Leads partition 0; holds proposals until {@link #commitAll} applies them as the state machine would. */
    private final class FakeGroups implements ConsensusGroups {
        boolean leader = true;
        long partitionClockMs;
        final List<WriteCommand> proposed = new ArrayList<>();
        final List<CompletableFuture<WriteResult>> pending = new ArrayList<>();
        final List<WriteCommand> pendingCommands = new ArrayList<>();

        void commitAll() {
            for (int i = 0; i < pending.size(); i++) {
                byte[] key = pendingCommands.get(i).key();
                boolean removed = store.expire(new UnsafeBuffer(key), 0, key.length, now.get());
                pending.get(i).complete(new WriteResult(PartitionStore.OK, removed, 0));
            }
            pending.clear();
            pendingCommands.clear();
        }

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
                CompletableFuture<WriteResult> f = new CompletableFuture<>();
                proposed.add(c);
                pending.add(f);
                pendingCommands.add(c);
                futures.add(f);
            }
            return futures;
        }

        @Override
        public CompletableFuture<Void> readBarrier(int partitionId) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public long partitionClockMs(int partitionId) {
            return partitionClockMs;
        }

        @Override
        public PartitionStore store(int partitionId) {
            return store;
        }
    }
}
