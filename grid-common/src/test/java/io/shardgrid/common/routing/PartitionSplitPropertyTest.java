package io.shardgrid.common.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Range routing under splits, as properties (QuickTheories): after any sequence of splits, started
 * or finished, every hash is owned by exactly one active partition, {@link PartitionMap#partitionOf}
 * names that one, a hash either stays where it was or moves from a parent to the child split off
 * it, ids never change, and the wire form routes the same. Replay a failure as PartitionerTest says.
 */
class PartitionSplitPropertyTest {
    private static final NodeDescriptor N1 = new NodeDescriptor("n1", "127.0.0.1:9091", "127.0.0.1:8081",
        "127.0.0.1:11001");

    @Test
    void everyHashHasExactlyOneOwnerAfterAnySequenceOfSplits() {
        qt().withExamples(300)
            .forAll(integers().between(0, 6), lists().of(integers().between(0, 1_000)).ofSizeBetween(0, 40),
                lists().of(longs().all()).ofSize(64))
            .checkAssert(PartitionSplitPropertyTest::checkSplits);
    }

    @Test
    void edgeHashesAfterSplittingTheFirstAndLastRangeDeep() {
        // The first and the last hash sit at the ends of the ranges that split most here.
        List<Integer> alwaysFirst = java.util.Collections.nCopies(30, 0);
        List<Long> edges = List.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L, -2L);
        checkSplits(0, alwaysFirst, edges);
        checkSplits(3, alwaysFirst, edges);
    }

    /**
     * Starts from {@code 2^log2P} equal partitions; each pick chooses an active partition by
     * position; an even pick splits it to the end, an odd one only starts the split, finishing the
     * started one first if there is one.
     */
    private static void checkSplits(int log2P, List<Integer> picks, List<Long> hashes) {
        PartitionMap map = PartitionMap.bootstrap(N1, 1 << log2P, 1);
        checkOwnership(map, hashes);
        for (int pick : picks) {
            PartitionMap before = map;
            List<PartitionAssignment> splitting = map.splitting();
            if (!splitting.isEmpty()) {
                map = map.withSplitDone(splitting.get(0).partitionId());
            } else {
                List<PartitionAssignment> active = map.partitions().stream()
                    .filter(a -> !a.splitting() && a.range().canSplit()).toList();
                PartitionAssignment parent = active.get(pick % active.size());
                map = map.withSplitStarted(parent.partitionId());
                checkRoutingUnchanged(before, map, hashes);
                if (pick % 2 == 0) {
                    before = map;
                    map = map.withSplitDone(map.splittingChildOf(parent.partitionId()).orElseThrow().partitionId());
                }
            }
            assertThat(map.epoch()).isGreaterThan(before.epoch());
            checkOwnership(map, hashes);
            checkMovedOnlyToChild(before, map, hashes);
            for (PartitionAssignment a : before.partitions()) {
                assertThat(map.partition(a.partitionId()).partitionId()).isEqualTo(a.partitionId());
            }
        }
        PartitionMap wire = PartitionMapCodec.fromMessage(PartitionMapCodec.toMessage(map));
        assertThat(wire.partitions()).isEqualTo(map.partitions());
        for (long hash : hashes) {
            assertThat(wire.partitionOf(hash).partitionId()).isEqualTo(map.partitionOf(hash).partitionId());
        }
    }

    private static void checkOwnership(PartitionMap map, List<Long> hashes) {
        for (long hash : hashes) {
            List<PartitionAssignment> owners = map.partitions().stream()
                .filter(a -> !a.splitting() && a.range().contains(hash)).toList();
            assertThat(owners).as("owners of %016x", hash).hasSize(1);
            assertThat(map.partitionOf(hash)).isEqualTo(owners.get(0));
        }
    }

    private static void checkRoutingUnchanged(PartitionMap before, PartitionMap after, List<Long> hashes) {
        for (long hash : hashes) {
            assertThat(after.partitionOf(hash).partitionId()).isEqualTo(before.partitionOf(hash).partitionId());
        }
    }

    private static void checkMovedOnlyToChild(PartitionMap before, PartitionMap after, List<Long> hashes) {
        for (long hash : hashes) {
            int was = before.partitionOf(hash).partitionId();
            PartitionAssignment now = after.partitionOf(hash);
            if (now.partitionId() != was) {
                assertThat(before.partition(now.partitionId()).splitParent()).isEqualTo(was);
            }
        }
    }

    @Test
    void aMapWithoutRangesMeansEqualRanges() {
        PartitionMap map = PartitionMap.bootstrap(N1, 8, 1);
        io.shardgrid.proto.v1.PartitionMapMessage.Builder old = PartitionMapCodec.toMessage(map).toBuilder();
        for (int i = 0; i < old.getPartitionsCount(); i++) {
            old.setPartitions(i, old.getPartitions(i).toBuilder().clearRange());
        }
        PartitionMap read = PartitionMapCodec.fromMessage(old.build());
        assertThat(read.partitions()).isEqualTo(map.partitions());
        Partitioner equal = new Partitioner(8);
        for (long hash : new long[] {0, -1, 0x1234_5678_9abc_def0L, Long.MIN_VALUE}) {
            assertThat(read.partitionOf(hash).partitionId()).isEqualTo(equal.partitionOfHash(hash));
            assertThat(read.partitionOf(hash).partitionId()).isEqualTo((int) (hash >>> 61));
        }
    }

    @Test
    void refusesSplitsThatWouldBreakTheMap() {
        PartitionMap map = PartitionMap.bootstrap(N1, 2, 1).withSplitStarted(1);
        assertThat(map.partitionCount()).isEqualTo(3);
        assertThat(map.partition(2).splitParent()).isEqualTo(1);
        assertThatThrownBy(() -> map.withSplitStarted(1)).hasMessageContaining("already splitting");
        assertThatThrownBy(() -> map.withSplitStarted(2)).hasMessageContaining("still being split off 1");
        assertThatThrownBy(() -> map.withSplitDone(0)).hasMessageContaining("not being split off");
        assertThatThrownBy(() -> map.partition(3)).hasMessageContaining("outside [0, 3)");
    }

    @Test
    void routingTableAndBinarySearchAgree() {
        // Splitting one partition past the table depth switches the router to binary search.
        PartitionMap map = PartitionMap.bootstrap(N1, 2, 1);
        for (int i = 0; i <= Partitioner.TABLE_BITS; i++) {
            map = map.withSplitStarted(0);
            map = map.withSplitDone(map.partitionCount() - 1);
        }
        assertThat(map.partition(0).range().bits()).isGreaterThan(Partitioner.TABLE_BITS);
        Map<Integer, HashRange> ranges = new java.util.HashMap<>();
        map.partitions().forEach(a -> ranges.put(a.partitionId(), a.range()));
        assertThatThrownBy(() -> new Partitioner(Map.of(0, HashRange.equalShare(0, 2))))
            .hasMessageContaining("nothing owns 8000000000000000");
        assertThatThrownBy(() -> new Partitioner(Map.of(0, HashRange.ALL, 1, HashRange.equalShare(1, 2))))
            .hasMessageContaining("do not tile");
        Partitioner router = new Partitioner(ranges);
        for (long hash : new long[] {0, 1, -1, 0x0007_ffff_ffff_ffffL, 0x0008_0000_0000_0000L, Long.MIN_VALUE}) {
            assertThat(router.partitionOfHash(hash)).isEqualTo(map.partitionOf(hash).partitionId());
            assertThat(map.partitionOf(hash).range().contains(hash)).isTrue();
        }
    }
}
