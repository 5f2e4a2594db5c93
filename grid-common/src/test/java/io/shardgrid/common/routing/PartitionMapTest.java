package io.shardgrid.common.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionMapTest {
    private final NodeDescriptor n1 = new NodeDescriptor("n1", "127.0.0.1:9091", "127.0.0.1:8081", "127.0.0.1:11001");
    private final NodeDescriptor n2 = new NodeDescriptor("n2", "127.0.0.1:9092", "127.0.0.1:8082", "127.0.0.1:11002");

    @Test
    void bootstrapPlacesEveryPartitionOnTheFirstNode() {
        PartitionMap map = PartitionMap.bootstrap(n1, 8, 3);
        assertThat(map.epoch()).isEqualTo(1);
        assertThat(map.partitionCount()).isEqualTo(8);
        assertThat(map.partitions()).allSatisfy(p -> {
            assertThat(p.replicas()).containsExactly("n1");
            assertThat(p.leaderHint()).isEqualTo("n1");
        });
    }

    @Test
    void aFoundingMapPutsEveryFounderOnEveryPartitionAndSpreadsTheLeaderHints() {
        NodeDescriptor n3 = new NodeDescriptor("n3", "127.0.0.1:9093", "127.0.0.1:8083", "127.0.0.1:11003");
        PartitionMap map = PartitionMap.founding(List.of(n3, n1, n2), 8, 3);
        assertThat(map.epoch()).isEqualTo(1);
        assertThat(map.nodes().keySet()).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(map.partitions()).allSatisfy(p -> assertThat(p.replicas()).containsExactly("n1", "n2", "n3"));
        assertThat(map.partitions()).extracting(PartitionAssignment::leaderHint)
            .containsExactly("n1", "n2", "n3", "n1", "n2", "n3", "n1", "n2");
        assertThatThrownBy(() -> PartitionMap.founding(List.of(n1, n2, n3), 4, 2))
            .hasMessageContaining("3 founding nodes for replication 2");
        assertThatThrownBy(() -> PartitionMap.founding(List.of(), 4, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyPlacementChangeBumpsTheEpochAndLeavesTheOldMapAlone() {
        PartitionMap v1 = PartitionMap.bootstrap(n1, 4, 3);
        PartitionMap v2 = v1.withNode(n2);
        PartitionMap v3 = v2.withPartition(v2.partition(2).withReplicas(List.of("n1", "n2"), List.of()));
        assertThat(v2.epoch()).isEqualTo(2);
        assertThat(v3.epoch()).isEqualTo(3);
        assertThat(v3.isNewerThan(v2)).isTrue();
        assertThat(v3.partition(2).replicas()).containsExactly("n1", "n2");
        assertThat(v3.partition(2).confEpoch()).isEqualTo(2);
        assertThat(v2.partition(2).replicas()).containsExactly("n1");
        assertThat(v1.nodes()).containsOnlyKeys("n1");
    }

    @Test
    void leaderHintsDoNotBumpTheEpoch() {
        PartitionMap map = PartitionMap.bootstrap(n1, 4, 3).withNode(n2);
        PartitionMap hinted = map.withLeaderHint(1, "n2");
        assertThat(hinted.epoch()).isEqualTo(map.epoch());
        assertThat(hinted.partition(1).leaderHint()).isEqualTo("n2");
    }

    @Test
    void rejectsReplicasOnUnknownNodesAndUnknownPartitions() {
        PartitionMap map = PartitionMap.bootstrap(n1, 4, 3);
        assertThatThrownBy(() -> map.withPartition(map.partition(0).withReplicas(List.of("ghost"), List.of())))
            .hasMessageContaining("unknown node 'ghost'");
        assertThatThrownBy(() -> map.partition(4)).hasMessageContaining("partition 4 is outside [0, 4)");
    }

    @Test
    void survivesTheWireRoundTrip() {
        PartitionMap map = PartitionMap.bootstrap(n1, 8, 3).withNode(n2);
        map = map.withPartition(map.partition(3).withReplicas(List.of("n1", "n2"), List.of("n2")));
        PartitionMap back = PartitionMapCodec.fromMessage(PartitionMapCodec.toMessage(map));
        assertThat(back.epoch()).isEqualTo(map.epoch());
        assertThat(back.nodes()).isEqualTo(map.nodes());
        assertThat(back.partitions()).isEqualTo(map.partitions());
        assertThat(back.replicationFactor()).isEqualTo(3);
    }
}
