package io.shardgrid.server.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.SplitPartition;
import io.shardgrid.server.placement.plan.TransferLeader;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OperatorAdmissionTest {
    private final OperatorAdmission limits = new OperatorAdmission(3, 1, 2);

    private static MoveReplica move(int p, String from, String to) {
        return new MoveReplica(p, from, to, 0);
    }

    @Test
    void movesStayWithinTheClusterAndPerNodeLimitsCountingThoseRunning() {
        List<Operator> planned = List.of(move(1, "n1", "n4"), move(2, "n1", "n5"), move(3, "n2", "n5"),
            move(4, "n3", "n6"), move(5, "n7", "n8"));
        // n2 -> n6 runs already: n2 and n6 are taken, and one of the three moves is used.
        List<Operator> admitted = limits.admit(planned, List.of(move(9, "n2", "n6")), Set.of());
        assertThat(admitted).containsExactly(move(1, "n1", "n4"), move(5, "n7", "n8"));
    }

    @Test
    void addsAndRemovalsLoadOnlyTheNodeTheyTouch() {
        List<Operator> planned = List.of(move(1, "", "n4"), move(2, "", "n5"), move(3, "n6", ""));
        assertThat(limits.admit(planned, List.of(move(9, "", "n7")), Set.of())).containsExactlyElementsOf(
            planned.subList(0, 2));
    }

    @Test
    void onePartitionOneOperatorAndOneSplitInTheCluster() {
        List<Operator> planned = List.of(new SplitPartition(1, "band"), new SplitPartition(2, "hot"),
            new TransferLeader(1, "n1", "n2"), new TransferLeader(3, "n1", "n2"));
        assertThat(limits.admit(planned, List.of(), Set.of())).containsExactly(new SplitPartition(1, "band"),
            new TransferLeader(3, "n1", "n2"));
        // A split an earlier meta leader started holds its partitions and the cluster's one split.
        assertThat(limits.admit(planned, List.of(), Set.of(3, 7))).containsExactly(new TransferLeader(1, "n1", "n2"));
    }

    @Test
    void leaderTransfersPerRoundAreCapped() {
        List<Operator> planned = IntStream.range(0, 5).<Operator>mapToObj(p -> new TransferLeader(p, "n1", "n2"))
            .toList();
        assertThat(limits.admit(planned, List.of(), Set.of())).hasSize(2);
    }
}
