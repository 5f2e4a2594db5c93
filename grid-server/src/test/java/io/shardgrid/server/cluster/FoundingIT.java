package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.PartitionMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --bootstrap-expect}: real nodes found a cluster together (every group created on all of
 * them at once, no membership change), serve, take a later node the usual way, and restart.
 */
class FoundingIT {
    private static final int PARTITIONS = 4;

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    TestRoutingClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeFoundersHoldEveryPartitionFromTheFirstMapAndALaterNodeJoinsTheUsualWay() {
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 20_000).startFounded(3);
        client = new TestRoutingClient(cluster.grpcAddresses());

        PartitionMap map = cluster.node(2).raft().map(); // the meta group's map, without routing hints
        assertThat(map.nodes().keySet()).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(map.partitions()).allSatisfy(p -> assertThat(p.replicas()).containsExactly("n1", "n2", "n3"));
        // The founding map is the first one: no join recorded a node or a replica one at a time.
        assertThat(map.epoch()).isEqualTo(1);
        for (int i = 1; i <= 3; i++) {
            assertThat(cluster.node(i).raft().hostedPartitions()).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, PARTITIONS).boxed().toList());
        }
        writeAndReadBack("founded", 200);

        int fourth = cluster.addNode();
        cluster.awaitReady();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.refreshMap().nodes().containsKey("n" + fourth));
        readBack("founded", 200);
    }

    @Test
    void aFoundedClusterRestartsFromItsDataWithoutFoundingAgain() {
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 20_000).startFounded(3);
        client = new TestRoutingClient(cluster.grpcAddresses());
        writeAndReadBack("before-restart", 100);
        client.close();
        for (int i = 1; i <= 3; i++) {
            cluster.stop(i);
        }
        // node 1 restarts with --bootstrap-expect 3 still set: its groups exist, so it does not wait
        // for joiners, and the others restart from their data without joining.
        for (int i : List.of(2, 3, 1)) {
            cluster.start(i, i == 1, "");
        }
        cluster.awaitReady();
        client = new TestRoutingClient(cluster.grpcAddresses());
        readBack("before-restart", 100);
        assertThat(client.refreshMap().nodes()).hasSize(3);
    }

    private void writeAndReadBack(String prefix, int keys) {
        for (int i = 0; i < keys; i++) {
            client.set(prefix + "-" + i, "v" + i, 0);
        }
        readBack(prefix, keys);
    }

    private void readBack(String prefix, int keys) {
        for (int i = 0; i < keys; i++) {
            assertThat(client.get(prefix + "-" + i)).as("key %s-%d", prefix, i).contains("v" + i);
        }
    }
}
