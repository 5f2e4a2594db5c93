package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.client.cli.GridCli;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.PlacementSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placement driver and the admin CLI against a real cluster: a joining node gets its share,
 * a drained node empties, a dead node's replicas are rebuilt elsewhere, and admin calls need the token.
 */
class PlacementIT {
    private static final int PARTITIONS = 8;
    private static final int KEYS = 300;
    /** Short liveness and rounds so the test does not wait for production timings. */
    private static final PlacementSettings FAST = new PlacementSettings("", Duration.ofSeconds(4),
        Duration.ofMillis(300), 2, 4);

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    GridClient client;

    @BeforeEach
    void setUp() {
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 20_000).withPlacement(FAST).start();
        client = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(30)).build();
        for (int i = 0; i < KEYS; i++) {
            client.sync().set("k" + i, "v" + i, Duration.ZERO);
        }
    }

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
    void aJoiningNodeGetsItsShareThenADrainedNodeEmptiesAndIsRemoved() {
        cluster.addNode();
        // 8 partitions x RF 3 over 4 nodes: 6 replicas and 2 leaders each.
        awaitPlacement(Map.of("n1", 6, "n2", 6, "n3", 6, "n4", 6));
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.node(1).raft().hostedPartitions().size() == 6
            && cluster.node(4).raft().hostedPartitions().size() == 6);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(leadersPerNode().values())
            .allSatisfy(n -> assertThat(n).isBetween(1, 3)));
        assertEveryKeyReadable();

        await().atMost(Duration.ofSeconds(60)).until(() -> admin("status").contains("operators in flight: 0"));
        assertThat(admin("status")).containsPattern("n4\\s+up");
        await().atMost(Duration.ofSeconds(60)).until(() -> admin("rebalance", "--dry-run").contains("planned 0 operators"));

        String drained = admin("drain", "n4");
        assertThat(drained).contains("n4 is draining");
        awaitPlacement(Map.of("n1", 8, "n2", 8, "n3", 8, "n4", 0));
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.node(4).raft().hostedPartitions().isEmpty());
        assertEveryKeyReadable();
        assertThat(admin("nodes")).containsPattern("n4\\s+draining");

        assertThat(admin("remove", "n4")).contains("n4 removed");
        await().atMost(Duration.ofSeconds(10)).until(() -> !latestMap().nodes().containsKey("n4"));
    }

    @Test
    void aDeadNodesReplicasAreRebuiltElsewhereAndItComesBackEmpty() {
        int n4 = cluster.addNode();
        awaitPlacement(Map.of("n1", 6, "n2", 6, "n3", 6, "n4", 6));
        cluster.stop(n4);
        // Past down-after, n4's replicas move to the three others.
        awaitPlacement(Map.of("n1", 8, "n2", 8, "n3", 8, "n4", 0));
        assertEveryKeyReadable();
        assertThat(admin("nodes")).containsPattern("n4\\s+down");

        cluster.restart(n4);
        // Back, it first drops the copies the map no longer gives it, then gets its share again.
        awaitPlacement(Map.of("n1", 6, "n2", 6, "n3", 6, "n4", 6));
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.node(n4).raft().hostedPartitions().size() == 6);
        assertEveryKeyReadable();
    }

    @Test
    void adminCallsNeedTheTokenAndMovesAndTransfersRunOnRequest() {
        PartitionMap before = latestMap();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GridCli.run(new String[] {"admin", "drain", "n3", "--token", "wrong", "--seeds",
            String.join(",", cluster.grpcAddresses())}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).isEqualTo(3);
        assertThat(err.toString()).contains("UNAUTHENTICATED");
        assertThat(latestMap().node("n3").orElseThrow().draining()).isFalse();
        assertThat(latestMap().epoch()).isEqualTo(before.epoch());

        int leader = cluster.awaitLeader(0);
        String target = "n" + (leader % 3 + 1);
        assertThat(admin("transfer-leader", "0", "--to", target)).contains("transfer-leader");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(leader % 3 + 1).raft().isLeader(0));

        Run unknown = run("move", "0", "--from", "n1", "--to", "n9");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("node n9 is not in the cluster");
        cluster.addNode();
        String json = admin("rebalance", "--dry-run", "--json");
        assertThat(json).contains("\"operators\"").contains("n4");
    }

    private record Run(int code, String out, String err) {
    }

    /** Runs {@code bin/grid admin ARGS} with the cluster's token. */
    private Run run(String... args) {
        List<String> argv = new ArrayList<>(List.of("admin"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--token", "test-token", "--seeds", String.join(",", cluster.grpcAddresses())));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GridCli.run(argv.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs an admin command that must succeed; returns what it printed. */
    private String admin(String... args) {
        Run r = run(args);
        assertThat(r.code()).as("grid admin %s: %s", String.join(" ", args), r.err()).isZero();
        return r.out();
    }

    private void awaitPlacement(Map<String, Integer> replicasPerNode) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            PartitionMap map = latestMap();
            Map<String, Integer> counts = new TreeMap<>();
            replicasPerNode.keySet().forEach(n -> counts.put(n, 0));
            for (PartitionAssignment a : map.partitions()) {
                assertThat(a.replicas()).as("p%d", a.partitionId()).hasSize(3).doesNotHaveDuplicates();
                assertThat(a.learners()).as("p%d moving", a.partitionId()).isEmpty();
                a.replicas().forEach(n -> counts.merge(n, 1, Integer::sum));
            }
            assertThat(counts).isEqualTo(new TreeMap<>(replicasPerNode));
        });
    }

    private Map<String, Integer> leadersPerNode() {
        Map<String, Integer> leaders = new TreeMap<>();
        for (int i : cluster.runningNodes()) {
            for (int p = 0; p < PARTITIONS; p++) {
                if (cluster.node(i).raft().isLeader(p)) {
                    leaders.merge("n" + i, 1, Integer::sum);
                }
            }
            leaders.putIfAbsent("n" + i, 0);
        }
        return leaders;
    }

    private PartitionMap latestMap() {
        return cluster.node(1).raft().map();
    }

    private void assertEveryKeyReadable() {
        for (int i = 0; i < KEYS; i++) {
            assertThat(client.sync().get("k" + i)).as("k" + i).contains("v" + i);
        }
    }
}
