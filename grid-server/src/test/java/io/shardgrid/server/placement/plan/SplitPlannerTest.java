package io.shardgrid.server.placement.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.common.routing.HashRange;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** When the planner asks for a split, and which partition it picks. */
class SplitPlannerTest {

    private static PartitionView partition(int id, int bits, long bytes, long opsPerSec) {
        return new PartitionView(id, List.of("n1", "n2", "n3"), "n1", bytes, bits, opsPerSec);
    }

    private static List<PartitionView> even(int count, int bits) {
        return IntStream.range(0, count).mapToObj(p -> partition(p, bits, 100, 0)).toList();
    }

    @Test
    void aClusterInTheBandIsNotSplit() {
        // 8 partitions x RF 3 on 3 nodes: 8 replicas per node, the target.
        assertThat(new SplitPlanner(8, 0).choose(even(8, 3), 3, 3)).isEmpty();
    }

    @Test
    void aJoinThatTakesReplicasPerNodeBelowTheTargetSplitsTheWidestRangeFirst() {
        List<PartitionView> partitions = new ArrayList<>(even(6, 3));
        partitions.add(partition(6, 2, 10, 0)); // a quarter of the hash space: twice as wide as the others
        partitions.add(partition(7, 3, 5_000, 0));
        // 8 x 3 / 4 = 6 replicas per node < 8.
        SplitPartition split = new SplitPlanner(8, 0).choose(partitions, 4, 3).orElseThrow();
        assertThat(split.partitionId()).isEqualTo(6);
        assertThat(split.reason()).isEqualTo("band: 6.0 replicas/node < 8");
    }

    @Test
    void amongEqualRangesTheLargestThenTheLowestIdIsSplit() {
        List<PartitionView> partitions = List.of(partition(0, 2, 10, 0), partition(1, 2, 900, 0),
            partition(2, 2, 900, 0), partition(3, 2, 10, 0));
        assertThat(new SplitPlanner(8, 0).choose(partitions, 3, 3).orElseThrow().partitionId()).isEqualTo(1);
    }

    @Test
    void fewerPartitionsThanNodesIsBelowTheBandWhateverTheTarget() {
        // 2 partitions on 4 nodes: 1.5 replicas per node is over a target of 1, but two nodes cannot lead.
        SplitPartition split = new SplitPlanner(1, 0).choose(even(2, 1), 4, 3).orElseThrow();
        assertThat(split.reason()).isEqualTo("band: 2 partitions < 4 nodes");
        assertThat(new SplitPlanner(1, 0).choose(even(4, 2), 4, 3)).isEmpty();
    }

    @Test
    void splitsUntilTheTargetIsReachedThenStops() {
        SplitPlanner planner = new SplitPlanner(8, 0);
        PlannedCluster cluster = new PlannedCluster(8);
        for (int n = 1; n <= 6; n++) {
            cluster.put(new NodeView("n" + n, "", true, false));
        }
        PlacementPlanner placement = new PlacementPlanner(3, planner);
        cluster.apply(placement.plan(cluster.partitions(), cluster.nodes()));
        int rounds = 0;
        while (planner.choose(cluster.partitions(), 6, 3).isPresent() && rounds++ < 100) {
            cluster.apply(placement.plan(cluster.partitions(), cluster.nodes()));
        }
        // 16 x 3 / 6 = 8 replicas per node: the first count at the target.
        assertThat(cluster.partitionCount()).isEqualTo(16);
        assertThat(planner.inBand(cluster.partitionCount(), 6, 3)).isTrue();
        // Ranges stay even: the widest was always split first.
        assertThat(cluster.partitions().stream().map(PartitionView::rangeBits).collect(Collectors.toSet()))
            .containsExactly(4);
    }

    @Test
    void aHotPartitionIsSplitFirstUpToTheBandsCeiling() {
        List<PartitionView> partitions = new ArrayList<>(even(8, 3));
        partitions.set(5, partition(5, 3, 100, 7_000));
        partitions.set(2, partition(2, 3, 100, 6_000));
        SplitPlanner planner = new SplitPlanner(8, 5_000);
        SplitPartition split = planner.choose(partitions, 3, 3).orElseThrow();
        assertThat(split.partitionId()).isEqualTo(5);
        assertThat(split.reason()).isEqualTo("hot: 7000 ops/s >= 5000");
        // 16 partitions x 3 on 3 nodes = 16 replicas per node = 2T: one more would leave the band.
        List<PartitionView> atCeiling = new ArrayList<>(even(16, 4));
        atCeiling.set(3, partition(3, 4, 100, 9_000));
        assertThat(planner.choose(atCeiling, 3, 3)).isEmpty();
        // Below the threshold, or without a hot threshold, nothing is hot.
        assertThat(new SplitPlanner(8, 8_000).choose(partitions, 3, 3)).isEmpty();
        assertThat(new SplitPlanner(8, 0).choose(partitions, 3, 3)).isEmpty();
    }

    @Test
    void aPartitionAtTheSizeThresholdIsSplitBiggestFirstAfterHotOnesAndUpToTheCeiling() {
        long mib = 1L << 20;
        List<PartitionView> partitions = new ArrayList<>(even(8, 3));
        partitions.set(1, partition(1, 3, 70 * mib, 0));
        partitions.set(6, partition(6, 3, 90 * mib, 0));
        SplitPlanner planner = new SplitPlanner(8, 5_000, 64 * mib);
        SplitPartition split = planner.choose(partitions, 3, 3).orElseThrow();
        assertThat(split.partitionId()).isEqualTo(6);
        assertThat(split.reason()).isEqualTo("big: 90 MiB >= 64 MiB");
        // A hot partition goes first.
        partitions.set(3, partition(3, 3, 100, 6_000));
        assertThat(planner.choose(partitions, 3, 3).orElseThrow().partitionId()).isEqualTo(3);
        // At the band's ceiling a big partition stays as it is: data alone must not multiply raft groups.
        List<PartitionView> atCeiling = new ArrayList<>(even(16, 4));
        atCeiling.set(9, partition(9, 4, 500 * mib, 0));
        assertThat(planner.choose(atCeiling, 3, 3)).isEmpty();
        // Just under the threshold, or with no size threshold, nothing is big.
        partitions.set(3, partition(3, 3, 100, 0));
        assertThat(new SplitPlanner(8, 5_000, 91 * mib).choose(partitions, 3, 3)).isEmpty();
        assertThat(new SplitPlanner(8, 5_000).choose(partitions, 3, 3)).isEmpty();
        assertThatThrownBy(() -> new SplitPlanner(8, 0, -1)).hasMessageContaining("split bytes -1");
    }

    @Test
    void aHotPartitionIsSplitWithoutATargetToo() {
        List<PartitionView> partitions = List.of(partition(0, 1, 100, 0), partition(1, 1, 100, 6_000));
        assertThat(new SplitPlanner(0, 5_000).choose(partitions, 3, 3).orElseThrow().partitionId()).isEqualTo(1);
    }

    @Test
    void aRangeThatCannotBeHalvedIsNeverChosen() {
        List<PartitionView> partitions = List.of(partition(0, HashRange.MAX_BITS, 100, 9_000),
            partition(1, HashRange.MAX_BITS, 100, 0));
        assertThat(new SplitPlanner(64, 5_000).choose(partitions, 3, 3)).isEmpty();
    }

    @Test
    void withoutATargetOrNodesNothingIsSplit() {
        assertThat(SplitPlanner.OFF.choose(even(1, 0), 9, 3)).isEmpty();
        assertThat(new SplitPlanner(8, 0).choose(even(1, 0), 0, 3)).isEmpty();
        assertThatThrownBy(() -> new SplitPlanner(-1, 0)).hasMessageContaining("-1");
    }

    @Test
    void whileASplitIsWantedOnlyRepairsMoveAndCountsAreEvenedOnceTheSplitsAreDone() {
        PlannedCluster cluster = new PlannedCluster(4);
        for (int n = 1; n <= 3; n++) {
            cluster.put(new NodeView("n" + n, "", true, false));
        }
        PlacementPlanner planner = new PlacementPlanner(3, new SplitPlanner(5, 0));
        cluster.apply(new PlacementPlanner(3).plan(cluster.partitions(), cluster.nodes()));
        cluster.put(new NodeView("n4", "", true, false));
        cluster.put(new NodeView("n3", "", false, false)); // n3 died: its replicas must be rebuilt now

        List<Operator> first = planner.plan(cluster.partitions(), cluster.nodes());
        assertThat(first).filteredOn(SplitPartition.class::isInstance).hasSize(1);
        assertThat(first).filteredOn(MoveReplica.class::isInstance).isNotEmpty()
            .allSatisfy(op -> assertThat(((MoveReplica) op).fromNodeId()).isIn("n3", ""));

        int moves = 0;
        for (int round = 0; round < 20; round++) {
            List<Operator> plan = planner.plan(cluster.partitions(), cluster.nodes());
            moves += (int) plan.stream().filter(MoveReplica.class::isInstance).count();
            cluster.apply(plan);
        }
        // 3 live nodes, target 5 replicas each: 5 partitions x 3 / 3.
        assertThat(cluster.partitionCount()).isEqualTo(5);
        assertThat(cluster.replicaCounts()).containsEntry("n3", 0);
        assertThat(planner.plan(cluster.partitions(), cluster.nodes())).filteredOn(MoveReplica.class::isInstance)
            .isEmpty();
        assertThat(moves).isPositive();
    }
}
