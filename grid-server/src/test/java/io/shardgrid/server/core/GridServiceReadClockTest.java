package io.shardgrid.server.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.MemoryPressure;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reads judge deadlines at the later of the node's wall clock and the partition clock. */
class GridServiceReadClockTest {
    private static final byte[] KEY = "session".getBytes(StandardCharsets.UTF_8);

    private final OffHeapPartitionStore store = new OffHeapPartitionStore(0, new MemoryBudget(16L << 20));
    private final AtomicLong wallMs = new AtomicLong(10_000);
    private final AtomicLong partitionClockMs = new AtomicLong();
    private final GridService service = new GridService(new OnePartition(), () -> new Partitioner(1), Limits.DEFAULT,
        wallMs::get, () -> 1, MemoryPressure.NONE);

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aKeyThePartitionClockSawExpireStaysExpiredWhenTheWallClockStepsBack() {
        UnsafeBuffer key = new UnsafeBuffer(KEY);
        store.set(key, 0, KEY.length, key, 0, KEY.length, 11_000, 10_000);
        assertThat(service.get(KEY, false).join().found()).as("before its deadline").isTrue();

        partitionClockMs.set(12_000); // an entry stamped after the deadline was applied
        wallMs.set(5_000);             // and this node's wall clock stepped back
        assertThat(service.get(KEY, false).join().found()).as("after the step back").isFalse();
    }

    @Test
    void theWallClockStillCountsWhenItIsAhead() {
        UnsafeBuffer key = new UnsafeBuffer(KEY);
        store.set(key, 0, KEY.length, key, 0, KEY.length, 11_000, 10_000);
        partitionClockMs.set(10_000);
        wallMs.set(11_500);
        assertThat(service.get(KEY, false).join().found()).isFalse();
    }

    /** Leads partition 0, whose store and partition clock the test sets. */
    private final class OnePartition implements ConsensusGroups {
        @Override
        public boolean hosts(int partitionId) {
            return true;
        }

        @Override
        public boolean isLeader(int partitionId) {
            return true;
        }

        @Override
        public Optional<String> leaderOf(int partitionId) {
            return Optional.of("n1");
        }

        @Override
        public List<CompletableFuture<WriteResult>> write(int partitionId, List<WriteCommand> commands) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> readBarrier(int partitionId) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public long partitionClockMs(int partitionId) {
            return partitionClockMs.get();
        }

        @Override
        public PartitionStore store(int partitionId) {
            return store;
        }
    }
}
