package io.shardgrid.server.cluster;

import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.GridNode;
import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * N real Shardgrid nodes in this JVM on loopback ports from {@link TestPorts}, each with its own data directory:
 * start, stop, restart and close them, wait for leaders and readiness, and dump every node's view
 * when a test fails.
 */
public final class InJvmGridCluster implements AutoCloseable {
    private final Path root;
    private ServerConfig base;
    private final List<ServerConfig> configs = new ArrayList<>();
    private final Map<Integer, GridNode> running = new TreeMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    public InJvmGridCluster(Path root, int nodes, int partitions, long snapshotEveryEntries) {
        this(root, nodes, partitions, snapshotEveryEntries, Durability.SYNC);
    }

    public InJvmGridCluster(Path root, int nodes, int partitions, long snapshotEveryEntries, Durability durability) {
        this.root = root;
        this.base = ServerConfig.defaults().withCluster(partitions, 3, snapshotEveryEntries, 16 * 1024, "test-token")
            .withDurability(durability);
        for (int i = 1; i <= nodes; i++) {
            configs.add(onFreshPorts(base, i));
        }
    }

    /** Node {@code i}'s config on ports no other test uses, with its own data directory. */
    private ServerConfig onFreshPorts(ServerConfig config, int i) {
        return config.withNode("n" + i, TestPorts.nextLoopbackAddress(), TestPorts.nextLoopbackAddress(),
            TestPorts.nextLoopbackAddress(), root.resolve("n" + i));
    }

    /** Uses {@code settings} for placement on every node (call before {@link #start()}). */
    public InJvmGridCluster withPlacement(PlacementSettings settings) {
        base = base.withPlacement(settings);
        configs.replaceAll(c -> c.withPlacement(settings));
        return this;
    }

    /** Starts one more node that joins through node 1; returns its number. */
    public int addNode() {
        int i = configs.size() + 1;
        configs.add(onFreshPorts(base, i));
        start(i, false, configs.get(0).httpAddress());
        return i;
    }

    /** Bootstraps node 1, then joins the others one by one through node 1's HTTP address. */
    public InJvmGridCluster start() {
        start(1, true, "");
        for (int i = 2; i <= configs.size(); i++) {
            start(i, false, configs.get(0).httpAddress());
        }
        awaitReady();
        return this;
    }

    public GridNode start(int i, boolean bootstrap, String join) {
        try {
            GridNode node = new GridNode(configs.get(i - 1).withMembership(bootstrap, join)).start();
            running.put(i, node);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts node {@code i} from its data directory (no bootstrap, no join). */
    public GridNode restart(int i) {
        return start(i, false, "");
    }

    public void stop(int i) {
        GridNode node = running.remove(i);
        if (node != null) {
            try {
                node.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public GridNode node(int i) {
        GridNode node = running.get(i);
        if (node == null) {
            throw new IllegalStateException("node n" + i + " is not running");
        }
        return node;
    }

    public ServerConfig config(int i) {
        return configs.get(i - 1);
    }

    public List<Integer> runningNodes() {
        return List.copyOf(running.keySet());
    }

    public List<String> grpcAddresses() {
        return running.keySet().stream().map(i -> config(i).grpcAddress()).toList();
    }

    /** Index (1-based) of the running node that leads {@code partition}, waiting for one. */
    public int awaitLeader(int partition) {
        int[] leader = new int[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (var e : running.entrySet()) {
                if (e.getValue().raft().isLeader(partition)) {
                    leader[0] = e.getKey();
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /** Waits until every running node answers /health/ready with 200. */
    public void awaitReady() {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (int i : running.keySet()) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + config(i).httpAddress() + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Every running node's view: map epoch, hosted partitions, leaders, applied indexes. */
    public String dump() {
        StringBuilder b = new StringBuilder("cluster under ").append(root).append('\n');
        for (var e : running.entrySet()) {
            GridNode n = e.getValue();
            PartitionMap map = n.raft().map();
            b.append("  n").append(e.getKey()).append(": epoch=").append(map == null ? "none" : map.epoch())
                .append(" groups=").append(n.raft().groupCount()).append(" leads=");
            for (int p : n.raft().hostedPartitions()) {
                if (n.raft().isLeader(p)) {
                    b.append(p).append(',');
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        for (int i : List.copyOf(running.keySet())) {
            try {
                stop(i);
            } catch (RuntimeException e) {
                System.err.println("stopping n" + i + " failed: " + e);
            }
        }
    }

}
