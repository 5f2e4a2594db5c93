package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.SetRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

/** A real 3-node cluster in this JVM: Ratis over loopback gRPC, the off-heap store, both APIs. */
@ExtendWith(DumpClusterOnFailure.class)
class ClusterIT {
    static final int PARTITIONS = 16;

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    TestRoutingClient client;

    InJvmGridCluster cluster() {
        return cluster;
    }

    void startCluster(int nodes, long snapshotEvery) {
        cluster = new InJvmGridCluster(dir, nodes, PARTITIONS, snapshotEvery).start();
        client = new TestRoutingClient(cluster.grpcAddresses());
        await().atMost(Duration.ofSeconds(30)).until(() -> client.refreshMap().nodes().size() == nodes);
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
    void writesAndReadsReachEveryPartitionAndEveryNodeHoldsEveryPartition() {
        startCluster(3, 20_000);
        PartitionMap map = client.refreshMap();
        assertThat(map.partitions()).allSatisfy(p -> assertThat(p.replicas()).containsExactlyInAnyOrder("n1", "n2", "n3"));
        Set<Integer> partitionsWritten = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            client.set("key-" + i, "value-" + i, 0);
            partitionsWritten.add(map.partitioner().partitionOf(("key-" + i).getBytes()));
        }
        assertThat(partitionsWritten).hasSize(PARTITIONS);
        for (int i = 0; i < 400; i++) {
            assertThat(client.get("key-" + i)).contains("value-" + i);
        }
        assertThat(client.get("never-written")).isEmpty();
        // Every replica applied every write: stale reads on each node see them all.
        for (String address : cluster.grpcAddresses()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (int i = 0; i < 400; i += 37) {
                    assertThat(client.staleGet(address, "key-" + i)).contains("value-" + i);
                }
            });
        }
    }

    @Test
    void httpApiServesTheSeedsCallsOnEveryNodeByForwardingToTheLeader() throws Exception {
        startCluster(3, 20_000);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 30; i++) {
            String node = cluster.config(1 + i % 3).httpAddress();
            assertThat(httpGet(http, node, "/set?key=h" + i + "&value=v" + i).body()).isEqualTo("ok");
        }
        for (int i = 0; i < 30; i++) {
            String node = cluster.config(1 + (i + 1) % 3).httpAddress();
            HttpResponse<String> r = httpGet(http, node, "/get?key=h" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("v" + i);
        }
        HttpResponse<String> missing = httpGet(http, cluster.config(2).httpAddress(), "/get?key=absent");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("not found");
        HttpResponse<String> empty = httpGet(http, cluster.config(1).httpAddress(), "/set?key=&value=x");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.body()).contains("'key' is required");
        HttpResponse<String> negative = httpGet(http, cluster.config(1).httpAddress(), "/set?key=k&value=x&ttl=-5");
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(httpGet(http, cluster.config(1).httpAddress(), "/get?key=k").statusCode()).isEqualTo(404);
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create("http://" + cluster.config(2).httpAddress()
            + "/set?key=posted&ttl=60s")).POST(HttpRequest.BodyPublishers.ofString("from a body")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(posted.body()).isEqualTo("ok");
        assertThat(httpGet(http, cluster.config(3).httpAddress(), "/get?key=posted").body()).isEqualTo("from a body");
        HttpResponse<String> join = httpGet(http, cluster.config(1).httpAddress(), "/join?node_id=intruder&addr=127.0.0.1:1");
        assertThat(join.statusCode()).isEqualTo(401);
        assertThat(client.refreshMap().nodes()).doesNotContainKey("intruder");
        HttpResponse<String> metrics = httpGet(http, cluster.config(3).httpAddress(), "/metrics");
        assertThat(metrics.body()).contains("shardgrid_requests_total").contains("shardgrid_partition_leader");
    }

    @Test
    void badInputIsRejectedWithAClearErrorAndChangesNothing() {
        startCluster(3, 20_000);
        byte[] bigKey = new byte[2000];
        var stub = client.stubAt(cluster.config(1).grpcAddress());
        assertThatThrownBy(() -> stub.set(SetRequest.newBuilder().setKey(ByteString.copyFrom(bigKey))
            .setValue(ByteString.copyFromUtf8("v")).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(TestRoutingClient.codeOf(e)).isEqualTo(GridErrorCode.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("key length 2000 exceeds limit 1024");
            });
        assertThatThrownBy(() -> stub.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(""))
            .setValue(ByteString.copyFromUtf8("v")).build()))
            .hasMessageContaining("key must not be empty");
        assertThatThrownBy(() -> client.set("ttl-key", "v", -1)).hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> client.leaderStub("big".getBytes()).set(SetRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("big")).setValue(ByteString.copyFrom(new byte[1024 * 1024 + 1])).build()))
            .hasMessageContaining("value length 1048577 exceeds limit 1048576");
        assertThat(client.get("ttl-key")).isEmpty();
        assertThat(client.get("big")).isEmpty();
    }

    @Test
    void ttlExpiryIsIdenticalOnEveryReplica() {
        startCluster(3, 20_000);
        client.set("short", "lived", 300);
        client.set("long", "lived", 0);
        for (String address : cluster.grpcAddresses()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> client.staleGet(address, "long").isPresent());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> client.get("short").isEmpty());
        for (String address : cluster.grpcAddresses()) {
            assertThat(client.staleGet(address, "short")).isEmpty();
            assertThat(client.staleGet(address, "long")).contains("lived");
        }
    }

    @Test
    void stoppingALeaderMidLoadLosesNoAcknowledgedWrite() throws Exception {
        startCluster(3, 20_000);
        byte[] probe = "key-0".getBytes();
        int partition = client.refreshMap().partitioner().partitionOf(probe);
        int leader = cluster.awaitLeader(partition);
        List<String> survivors = new ArrayList<>();
        for (int i : cluster.runningNodes()) {
            if (i != leader) {
                survivors.add(cluster.config(i).grpcAddress());
            }
        }
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (TestRoutingClient w = new TestRoutingClient(survivors.isEmpty() ? cluster.grpcAddresses() : cluster.grpcAddresses())) {
                for (int i = 0; i < 3000 && !stop.get(); i++) {
                    try {
                        w.set("load-" + i, "v" + i, 0);
                        acknowledged.add("load-" + i);
                    } catch (RuntimeException e) {
                        // not acknowledged: the client may retry later, but we make no claim about it
                    }
                }
            }
        });
        writer.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() > 100);
        cluster.stop(leader);
        int before = acknowledged.size();
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() > before + 100);
        stop.set(true);
        WorkerThreads.awaitEnd(writer, Duration.ofSeconds(60));
        try (TestRoutingClient reader = new TestRoutingClient(survivors)) {
            reader.refreshMap();
            for (String key : acknowledged) {
                assertThat(reader.get(key)).as(key).contains("v" + key.substring("load-".length()));
            }
        }
    }

    @Test
    void allNodesRestartedFromTheirDirectoriesHaveAllTheirData() {
        startCluster(3, 50);
        for (int i = 0; i < 300; i++) {
            client.set("durable-" + i, "v" + i, 0);
        }
        restartAllAndReconnect();
        for (int i = 0; i < 300; i++) {
            assertThat(client.get("durable-" + i)).contains("v" + i);
        }
    }

    @Test
    void asyncDurabilityServesWritesAndKeepsThemAcrossACleanRestart() {
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 20_000, Durability.ASYNC).start();
        client = new TestRoutingClient(cluster.grpcAddresses());
        for (int i = 0; i < 100; i++) {
            client.set("async-" + i, "v" + i, 0);
        }
        restartAllAndReconnect();
        for (int i = 0; i < 100; i++) {
            assertThat(client.get("async-" + i)).contains("v" + i);
        }
    }

    @Test
    void aNodeJoiningAOneNodeClusterCatchesUpBySnapshot() {
        cluster = new InJvmGridCluster(dir, 2, PARTITIONS, 20);
        cluster.start(1, true, "");
        cluster.awaitReady();
        client = new TestRoutingClient(List.of(cluster.config(1).grpcAddress()));
        String filler = "x".repeat(200);
        for (int i = 0; i < 800; i++) {
            client.set("before-join-" + i, "v" + i + filler, 0);
        }
        cluster.start(2, false, cluster.config(1).httpAddress());
        cluster.awaitReady();
        String n2 = cluster.config(2).grpcAddress();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < 800; i += 7) {
                assertThat(client.staleGet(n2, "before-join-" + i)).contains("v" + i + filler);
            }
        });
        // The leader's logs were purged behind snapshots, so the new replicas caught up by installing them.
        assertThat(cluster.node(2).raft().snapshotInstalls()).isPositive();
    }

    @Test
    void aFourthNodeHoldsTheMapAsAMetaListenerAndServesBothApis() throws Exception {
        // Automatic placement off: this is about the meta listener and serving, not about the
        // fourth node getting replicas (PlacementIT covers that).
        cluster = new InJvmGridCluster(dir, 4, PARTITIONS, 20_000)
            .withPlacement(new PlacementSettings("", Duration.ofSeconds(30), Duration.ZERO, 1, 4)).start();
        client = new TestRoutingClient(cluster.grpcAddresses());
        await().atMost(Duration.ofSeconds(30)).until(() -> client.refreshMap().nodes().size() == 4);
        PartitionMap fromFourth;
        try (TestRoutingClient viaFourth = new TestRoutingClient(List.of(cluster.config(4).grpcAddress()))) {
            fromFourth = viaFourth.refreshMap();
        }
        assertThat(fromFourth.nodes()).containsOnlyKeys("n1", "n2", "n3", "n4");
        assertThat(fromFourth.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3).doesNotContain("n4"));
        assertThat(cluster.node(4).raft().hostedPartitions()).isEmpty();
        HttpClient http = HttpClient.newHttpClient();
        String n4 = cluster.config(4).httpAddress();
        assertThat(httpGet(http, n4, "/set?key=via4&value=yes").body()).isEqualTo("ok");
        assertThat(httpGet(http, n4, "/get?key=via4").body()).isEqualTo("yes");
        assertThat(client.get("via4")).contains("yes");
        // The listener follows later map changes too.
        long epoch = cluster.node(1).membership().update(m -> m.withNode(m.nodes().get("n4"))).epoch();
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(4).raft().mapEpoch() == epoch);
    }

    /** Stops every node, starts each again from its directory, and reconnects the client. */
    private void restartAllAndReconnect() {
        for (int i : cluster.runningNodes()) {
            cluster.stop(i);
        }
        client.close();
        for (int i = 1; i <= 3; i++) {
            cluster.restart(i);
        }
        cluster.awaitReady();
        client = new TestRoutingClient(cluster.grpcAddresses());
        client.refreshMap();
    }

    private static HttpResponse<String> httpGet(HttpClient http, String address, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + address + pathAndQuery)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
