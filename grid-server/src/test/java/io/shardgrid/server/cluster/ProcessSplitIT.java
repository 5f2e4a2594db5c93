package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.SplitRequest;
import io.shardgrid.server.transport.TokenInterceptor;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code grid server} processes; partition 1's leader is killed with SIGKILL as soon as its
 * split has started: the split finishes without it (the admin call's raft client retries on the
 * new leader, or the placement driver finishes it), and every acknowledged write is readable from
 * every node after the killed one is back, including those a writer kept sending through the other
 * two nodes all along. Also: all three killed in the middle of the split.
 */
class ProcessSplitIT {
    @TempDir
    Path dir;
    private final int[] http = new int[4];
    private final String[] grpc = new String[4];
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private ServerProcesses servers;

    @AfterEach
    void stopAll() throws InterruptedException {
        channels.values().forEach(ManagedChannel::shutdownNow);
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void killingTheParentsLeaderAsItsSplitStartsLosesNoAcknowledgedWrite() throws Exception {
        List<String> acknowledged = startThreeNodesAndWrite(200);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> map(1).partition(1).hasLeaderHint());
        PartitionMap before = map(1);
        HashRange parentRange = before.partition(1).range();
        int victim = Integer.parseInt(before.partition(1).leaderHint().substring("node".length()));
        int runner = victim == 1 ? 2 : 1;
        int watcher = 6 - victim - runner;
        SteadyHttpWriter writer = new SteadyHttpWriter(List.of(runner, watcher));
        Thread writing = new Thread(writer, "steady-writer");
        writing.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acknowledged.size() >= 20);
        CompletableFuture<?> split = CompletableFuture.supplyAsync(() -> admin(runner)
            .split(SplitRequest.newBuilder().setPartitionId(1).build()));
        // Kill as soon as the watcher's map shows the split started (the child's id reserved).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).ignoreExceptions()
            .until(() -> map(watcher).partitionCount() == 3);
        boolean doneBeforeKill = !map(watcher).partition(2).splitting();
        int atKill = writer.acknowledged.size();
        servers.kill9(victim);
        System.out.printf("ProcessSplitIT: killed node%d, leader of p1, with the split %s%n", victim,
            doneBeforeKill ? "already recorded as done" : "started and not yet recorded as done");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .untilAsserted(() -> {
                for (int node : List.of(runner, watcher)) {
                    PartitionMap m = map(node);
                    assertThat(m.splitting()).isEmpty();
                    assertThat(m.partition(1).range()).isEqualTo(parentRange.lower());
                    assertThat(m.partition(2).range()).isEqualTo(parentRange.upper());
                }
            });
        try {
            split.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("ProcessSplitIT: the admin call itself failed (the driver finished the split): " + e);
        }
        int atSplitDone = writer.acknowledged.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acknowledged.size() >= atSplitDone + 20);
        writer.stop = true;
        writing.join(30_000);
        System.out.printf("ProcessSplitIT: the steady writer had %d writes acknowledged (%d by the kill, %d by the"
            + " end of the split) and %d calls fail%n", writer.acknowledged.size(), atKill, atSplitDone, writer.failures);
        acknowledged.addAll(writer.acknowledged);
        for (int i = 200; i < 300; i++) {
            setUntilAcknowledged(i % 2 == 0 ? runner : watcher, "k" + i, acknowledged);
        }

        servers.restart(victim);
        servers.awaitReady(victim);
        for (String key : acknowledged) {
            for (int node = 1; node <= 3; node++) {
                HttpResponse<String> r = servers.get(node, "/get?key=" + key);
                assertThat(r.statusCode()).as(key + " on node" + node).isEqualTo(200);
                assertThat(r.body()).isEqualTo("v" + key.substring(1));
            }
        }
        assertThat(map(victim).partitionCount()).isEqualTo(3);
    }

    /**
     * Every replica of partition 1 is killed as soon as all three hold the group split off it, before
     * that group's first election (0.3 s or more after it starts): its replicas come back without
     * peers (Ratis had them in memory only), the replayed split entry adds it again from the seed,
     * and the split finishes with every acknowledged write readable.
     */
    @Test
    void killingEveryReplicaBeforeTheChildsFirstElectionFinishesTheSplitOnRestart() throws Exception {
        List<String> acknowledged = startThreeNodesAndWrite(200);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> map(1).partition(1).hasLeaderHint());
        HashRange parentRange = map(1).partition(1).range();
        Map<Integer, Set<Path>> groupsBefore = new HashMap<>();
        for (int i = 1; i <= 3; i++) {
            groupsBefore.put(i, ServerProcesses.raftGroupDirectories(dir.resolve("raft_node" + i)));
        }
        CompletableFuture<?> split = CompletableFuture.supplyAsync(() -> admin(1)
            .split(SplitRequest.newBuilder().setPartitionId(1).build()));
        await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
            .until(() -> everyNodeHasANewGroup(groupsBefore));
        for (int i = 1; i <= 3; i++) {
            servers.kill9(i);
        }
        split.handle((r, e) -> null).get(60, TimeUnit.SECONDS);

        for (int i = 1; i <= 3; i++) {
            servers.restart(i);
        }
        for (int i = 1; i <= 3; i++) {
            servers.awaitReady(i);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .untilAsserted(() -> {
                PartitionMap m = map(1);
                assertThat(m.splitting()).isEmpty();
                assertThat(m.partition(2).range()).isEqualTo(parentRange.upper());
            });
        for (int i = 200; i < 260; i++) {
            setUntilAcknowledged(1 + i % 3, "k" + i, acknowledged);
        }
        for (String key : acknowledged) {
            for (int node = 1; node <= 3; node++) {
                HttpResponse<String> r = servers.get(node, "/get?key=" + key);
                assertThat(r.statusCode()).as(key + " on node" + node).isEqualTo(200);
                assertThat(r.body()).isEqualTo("v" + key.substring(1));
            }
        }
    }

    private List<String> startThreeNodesAndWrite(int keys) throws Exception {
        servers = new ServerProcesses(dir);
        for (int i = 1; i <= 3; i++) {
            http[i] = TestPorts.next();
            grpc[i] = TestPorts.nextLoopbackAddress();
        }
        for (int i = 1; i <= 3; i++) {
            List<String> args = new ArrayList<>(List.of("-node_id", "node" + i,
                "-http_addr", "127.0.0.1:" + http[i], "--grpc-addr", grpc[i],
                "-raft_addr", TestPorts.nextLoopbackAddress(),
                "-raft_dir", dir.resolve("raft_node" + i).toString(),
                "--partitions", "2", "--memory", "64m", "--admin-token", "split-test",
                "--partitions-per-node", "0", "--split-hot-writes", "0",
                "--placement-interval", "500ms"));
            args.addAll(i == 1 ? List.of("-bootstrap") : List.of("-join", "127.0.0.1:" + http[1]));
            servers.start(i, http[i], args);
            servers.awaitReady(i);
        }
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            setUntilAcknowledged(1 + i % 3, "k" + i, acknowledged);
        }
        return acknowledged;
    }

    private boolean everyNodeHasANewGroup(Map<Integer, Set<Path>> before) throws IOException {
        for (int i = 1; i <= 3; i++) {
            if (before.get(i).containsAll(ServerProcesses.raftGroupDirectories(dir.resolve("raft_node" + i)))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes new keys one after another through the given nodes in turn until stopped, keeping those
     * a node acknowledged (200). A call can fail while the leader it was forwarded to dies: that write
     * was never acknowledged, so nothing is expected of it.
     */
    private final class SteadyHttpWriter implements Runnable {
        final List<String> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Integer> nodes;
        volatile boolean stop;
        volatile int failures;

        SteadyHttpWriter(List<Integer> nodes) {
            this.nodes = nodes;
        }

        @Override
        public void run() {
            for (int i = 0; !stop && i < 20_000; i++) {
                String key = "s" + i;
                int node = nodes.get(i % nodes.size());
                try {
                    if (servers.get(node, "/set?key=" + key + "&value=v" + i).statusCode() == 200) {
                        acknowledged.add(key);
                        continue;
                    }
                } catch (Exception e) {
                    // counted below
                }
                failures++;
            }
        }
    }

    /** Sets {@code key} through {@code node}, retrying while a partition has no leader. */
    private void setUntilAcknowledged(int node, String key, List<String> acknowledged) {
        String set = "/set?key=" + key + "&value=v" + key.substring(1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .until(() -> servers.get(node, set).statusCode() == 200);
        acknowledged.add(key);
    }

    private PartitionMap map(int node) {
        return PartitionMapCodec.fromMessage(GridRoutingGrpc.newBlockingStub(channel(grpc[node]))
            .withDeadlineAfter(2, TimeUnit.SECONDS).getPartitionMap(GetPartitionMapRequest.getDefaultInstance()));
    }

    private GridAdminGrpc.GridAdminBlockingStub admin(int node) {
        Metadata headers = new Metadata();
        headers.put(TokenInterceptor.AUTHORIZATION, "Bearer split-test");
        return GridAdminGrpc.newBlockingStub(channel(grpc[node]))
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private synchronized ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a).usePlaintext().build());
    }
}
