package io.shardgrid.server.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.MemoryPressure;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A write that did not fit is submitted again once eviction made room, and only then. */
class GridServiceMakesRoomTest {
    private static final WriteCommand SET = WriteCommand.set("k".getBytes(StandardCharsets.UTF_8), new byte[10], 0);

    private final AtomicInteger relieved = new AtomicInteger();

    @Test
    void aFullWriteIsRetriedAfterEachEvictionUntilItFits() {
        FullGroups groups = new FullGroups(3);
        WriteResult result = service(groups, p -> relieve(true)).write(SET).join();
        assertThat(result.status()).isEqualTo(PartitionStore.OK);
        assertThat(groups.submitted).hasSize(4);
        assertThat(relieved).hasValue(3);
    }

    @Test
    void writeAllRetriesEachFullWriteOfTheMessage() {
        FullGroups groups = new FullGroups(1);
        List<CompletableFuture<WriteResult>> results = service(groups, p -> relieve(true)).writeAll(List.of(SET));
        assertThat(results.get(0).join().status()).isEqualTo(PartitionStore.OK);
        assertThat(relieved).hasValue(1);
    }

    @Test
    void theFullStandsWhenNothingCanBeEvictedOrWithoutAPolicy() {
        FullGroups groups = new FullGroups(Integer.MAX_VALUE);
        assertThat(service(groups, p -> relieve(false)).write(SET).join().status()).isEqualTo(PartitionStore.FULL);
        assertThat(groups.submitted).hasSize(1);
        assertThat(service(groups, MemoryPressure.NONE).write(SET).join().status()).isEqualTo(PartitionStore.FULL);
        assertThat(groups.submitted).hasSize(2);
    }

    @Test
    void retriesAreBounded() {
        FullGroups groups = new FullGroups(Integer.MAX_VALUE);
        assertThat(service(groups, p -> relieve(true)).write(SET).join().status()).isEqualTo(PartitionStore.FULL);
        assertThat(groups.submitted).hasSize(GridService.MAX_ROOM_ATTEMPTS + 1);
    }

    private CompletableFuture<Boolean> relieve(boolean freed) {
        relieved.incrementAndGet();
        return CompletableFuture.completedFuture(freed);
    }

    private static GridService service(ConsensusGroups groups, MemoryPressure memory) {
        return new GridService(groups, () -> new Partitioner(1), Limits.DEFAULT, () -> 0, () -> 1, memory);
    }

    /** Leads partition 0 and answers FULL to the first {@code fullAnswers} writes, OK afterwards. */
    private static final class FullGroups implements ConsensusGroups {
        final List<WriteCommand> submitted = new ArrayList<>();
        private int fullAnswers;

        FullGroups(int fullAnswers) {
            this.fullAnswers = fullAnswers;
        }

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
            List<CompletableFuture<WriteResult>> results = new ArrayList<>();
            for (WriteCommand c : commands) {
                submitted.add(c);
                int status = fullAnswers-- > 0 ? PartitionStore.FULL : PartitionStore.OK;
                results.add(CompletableFuture.completedFuture(new WriteResult(status, status == PartitionStore.OK, 0)));
            }
            return results;
        }

        @Override
        public CompletableFuture<Void> readBarrier(int partitionId) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public PartitionStore store(int partitionId) {
            throw new UnsupportedOperationException();
        }
    }
}
