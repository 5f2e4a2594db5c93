package io.shardgrid.server.cluster;

import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.GridNode;
import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.Eviction;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.transport.TlsContexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.ratis.util.ExitUtils;

/**
 * N real Shardgrid nodes in this JVM on loopback ports from {@link TestPorts}, each with its own
 * data directory: start, stop, restart and close them, wait for leaders and readiness, and dump
 * every node's view when a test fails. Ratis may not end the JVM while one is loaded: a port taken
 * on a node's first start is retried on fresh ports, other failures fail the test that met them.
 */
public final class InJvmGridCluster implements AutoCloseable {
    private final Path root;
    private ServerConfig base;
    private final List<ServerConfig> configs = new ArrayList<>();
    private final Map<Integer, GridNode> running = Collections.synchronizedMap(new TreeMap<>());
    private final Set<Integer> everStarted = ConcurrentHashMap.newKeySet();
    private int bootstrapExpect = 1;
    private final Map<Integer, Clock> clocks = new HashMap<>();
    private HttpClient http = HttpClient.newHttpClient();

    static {
        // Ratis calls System.exit when, for one, its gRPC server cannot bind its port: in a test
        // that must fail the test (or be retried), not end the JVM with every other test in it.
        // Loading ExitUtils also installs Ratis's JVM-wide handler that terminates on any uncaught
        // exception; put back the one before, so other threads' failures behave as they did.
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        ExitUtils.disableSystemExit();
        Thread.setDefaultUncaughtExceptionHandler(previous);
    }

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

    /** Gives every node {@code memoryBytes} of budget and {@code eviction} (call before {@link #start()}). */
    public InJvmGridCluster withMemory(long memoryBytes, Eviction eviction) {
        base = base.withMemory(memoryBytes, eviction);
        configs.replaceAll(c -> c.withMemory(memoryBytes, eviction));
        return this;
    }

    /** Turns TLS on for every node with {@code tls} (call before {@link #start()}). */
    public InJvmGridCluster withTls(TlsSettings tls) {
        base = base.withTls(tls);
        configs.replaceAll(c -> c.withTls(tls));
        http = new TlsContexts(tls).httpClient().build();
        return this;
    }

    /** Makes every node ask data and routing calls for {@code token} (call before {@link #start()}). */
    public InJvmGridCluster withClientToken(String token) {
        base = base.withClientToken(token);
        configs.replaceAll(c -> c.withClientToken(token));
        return this;
    }

    /** Gives node {@code i} alone a budget of {@code memoryBytes} (call before starting it). */
    public InJvmGridCluster withNodeMemory(int i, long memoryBytes) {
        ServerConfig c = config(i);
        configs.set(i - 1, c.withMemory(memoryBytes, c.eviction()));
        return this;
    }

    /** Gives every node an off-heap budget of {@code bytes} and no eviction (call before {@link #start()}). */
    public InJvmGridCluster withMemory(long bytes) {
        return withMemory(bytes, Eviction.NONE);
    }

    /** Node {@code i} reads wall time from {@code clock} from its next start on (default: the system clock). */
    public InJvmGridCluster withClock(int i, Clock clock) {
        clocks.put(i, clock);
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

    /**
     * Founds the cluster on nodes 1..{@code founders} at once (node 1 with {@code --bootstrap-expect},
     * the others joining it, all starting together), then joins the rest one by one.
     */
    public InJvmGridCluster startFounded(int founders) {
        bootstrapExpect = founders;
        // A thread per founder: each start blocks until the founding is done (not the common pool,
        // which may have fewer threads than founders).
        ExecutorService starters = Executors.newFixedThreadPool(founders);
        try {
            List<CompletableFuture<GridNode>> starts = new ArrayList<>();
            for (int i = 1; i <= founders; i++) {
                int node = i;
                starts.add(CompletableFuture.supplyAsync(
                    () -> start(node, node == 1, node == 1 ? "" : configs.get(0).httpAddress()), starters));
            }
            starts.forEach(CompletableFuture::join);
        } finally {
            starters.shutdownNow();
        }
        for (int i = founders + 1; i <= configs.size(); i++) {
            start(i, false, configs.get(0).httpAddress());
        }
        awaitReady();
        return this;
    }

    /**
     * Starts node {@code i}. A node's first start that fails to bind one of its ports is retried
     * once on fresh ports and an empty data directory (nothing refers to its addresses yet); any
     * other failure, and a bind failure on restart, throws {@link NodeStartException}.
     */
    public GridNode start(int i, boolean bootstrap, String join) {
        boolean firstStart = !everStarted.contains(i);
        try {
            return startOnce(i, bootstrap, join);
        } catch (NodeStartException e) {
            if (!firstStart || !e.bindFailure()) {
                throw e;
            }
            System.err.println(e.getMessage() + "; starting n" + i + " again on fresh ports");
            deleteRecursively(config(i).dataDir());
            configs.set(i - 1, onFreshPorts(config(i), i));
            return startOnce(i, bootstrap, join);
        }
    }

    private GridNode startOnce(int i, boolean bootstrap, String join) {
        ServerConfig config = configs.get(i - 1).withMembership(bootstrap, join)
            .withBootstrapExpect(bootstrap ? bootstrapExpect : 1);
        GridNode node = null;
        try {
            node = new GridNode(config, clocks.getOrDefault(i, Clock.SYSTEM));
            node.start();
        } catch (IOException | RuntimeException e) {
            // The Ratis terminate behind a failed bind is handled here, so close() does not report it.
            if (ExitUtils.getFirstExitException() != null && causes(e, ExitUtils.ExitException.class)) {
                ExitUtils.clear();
            }
            if (node != null) {
                try {
                    node.close();
                } catch (IOException | RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw new NodeStartException("n" + i + " (http " + config.httpAddress() + ", grpc "
                + config.grpcAddress() + ", raft " + config.raftAddress() + ") failed to start: " + e, e);
        }
        everStarted.add(i);
        running.put(i, node);
        return node;
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
                    URI.create(config(i).tls().httpScheme() + "://" + config(i).httpAddress() + "/health/ready")).build(),
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

    /**
     * Stops every running node, then fails if Ratis tried to terminate the JVM meanwhile (a failed
     * start aside): with {@link ExitUtils#disableSystemExit()} that only throws in the thread that asked.
     */
    @Override
    public void close() {
        for (int i : List.copyOf(running.keySet())) {
            try {
                stop(i);
            } catch (RuntimeException e) {
                System.err.println("stopping n" + i + " failed: " + e);
            }
        }
        ExitUtils.ExitException exit = ExitUtils.getFirstExitException();
        if (exit != null) {
            ExitUtils.clear();
            throw new AssertionError("Ratis tried to terminate the JVM during this test: " + exit.getMessage(), exit);
        }
    }

    static boolean causes(Throwable e, Class<? extends Throwable> kind) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (kind.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
