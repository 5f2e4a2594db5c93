package io.shardgrid.server;

import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.time.DurationText;
import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.Eviction;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.config.SplitSettings;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.config.TlsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code grid server}: runs one node until it is stopped (SIGTERM or Ctrl-C). */
@Command(name = "server", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run one Shardgrid node.")
public final class ServerCommand implements Callable<Integer> {
    @Option(names = {"--node-id", "-node_id"}, description = "Unique, stable node id (default: ${DEFAULT-VALUE}).")
    String nodeId = ServerConfig.DEFAULT_NODE_ID;

    @Option(names = {"--http-addr", "-http_addr"}, description = "HTTP API host:port (default: ${DEFAULT-VALUE}).")
    String httpAddr = ServerConfig.DEFAULT_HTTP_ADDRESS;

    @Option(names = {"--grpc-addr", "-grpc_addr"},
        description = "gRPC API host:port (default: the HTTP host, HTTP port + 1010: 8080 -> 9090, 8081 -> 9091).")
    String grpcAddr;

    @Option(names = {"--raft-addr", "-raft_addr"}, description = "Raft transport host:port (default: ${DEFAULT-VALUE}).")
    String raftAddr = ServerConfig.DEFAULT_RAFT_ADDRESS;

    @Option(names = {"--data-dir", "-raft_dir"}, description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of(ServerConfig.DEFAULT_DATA_DIR);

    @Option(names = {"--bootstrap", "-bootstrap"}, arity = "0..1", fallbackValue = "true",
        description = "Create a new cluster with every partition on this node.")
    boolean bootstrap;

    @Option(names = "--bootstrap-expect", description = "With --bootstrap: wait until this many nodes (this one "
        + "and the first to --join it) are up, then create every group on all of them at once, with no membership "
        + "changes (default: ${DEFAULT-VALUE}, bootstrap alone; at most the replication factor and 3).")
    int bootstrapExpect = 1;

    @Option(names = {"--join", "-join"}, description = "HTTP or gRPC host:port of any node of the cluster to join.")
    String join = "";

    @Option(names = "--partitions", description = "Partitions when bootstrapping, a power of two (default: ${DEFAULT-VALUE}).")
    int partitions = ServerConfig.DEFAULT_PARTITIONS;

    @Option(names = "--replication", description = "Replication factor (default: ${DEFAULT-VALUE}).")
    int replication = ServerConfig.DEFAULT_REPLICATION;

    @Option(names = "--memory", description = "Off-heap budget, e.g. 512m, 4g (default: 1g).")
    String memory = "1g";

    @Option(names = "--eviction", defaultValue = "none",
        description = "When a partition's share of --memory runs out: none (writes fail with RESOURCE_EXHAUSTED), "
            + "lru, lfu or volatile-ttl (evict keys through the raft log) (default: ${DEFAULT-VALUE}).")
    String eviction;

    @Option(names = "--durability", description = "sync: fsync each batch; async: flush in the background (default: ${DEFAULT-VALUE}).")
    Durability durability = Durability.SYNC;

    @Option(names = "--max-key-bytes", description = "Largest key (default: ${DEFAULT-VALUE}).")
    int maxKeyBytes = Limits.DEFAULT_MAX_KEY_BYTES;

    @Option(names = "--max-value-bytes", description = "Largest value (default: ${DEFAULT-VALUE}).")
    int maxValueBytes = Limits.DEFAULT_MAX_VALUE_BYTES;

    @Option(names = "--admin-token", defaultValue = "${env:SHARDGRID_ADMIN_TOKEN}",
        description = "Shared secret for the admin API (env SHARDGRID_ADMIN_TOKEN).")
    String adminToken;

    @Option(names = "--zone", defaultValue = "", description = "Failure domain (rack, zone); replicas of a partition go to distinct zones.")
    String zone;

    @Option(names = "--down-after", defaultValue = "30s",
        description = "A node silent this long is down and its replicas are rebuilt elsewhere (default: ${DEFAULT-VALUE}).")
    String downAfter;

    @Option(names = "--placement-interval", defaultValue = "2s",
        description = "How often the meta leader re-plans placement; 0 turns automatic placement off (default: ${DEFAULT-VALUE}).")
    String placementInterval;

    @Option(names = "--max-moves-per-node", defaultValue = "1",
        description = "Replica moves at once into or out of one node (default: ${DEFAULT-VALUE}).")
    int maxMovesPerNode;

    @Option(names = "--max-moves", defaultValue = "4",
        description = "Replica moves at once in the cluster (default: ${DEFAULT-VALUE}).")
    int maxMoves;

    @Option(names = "--partitions-per-node", description = "Target partition replicas (raft groups) per node: "
        + "the placement driver splits partitions while the cluster has fewer, or fewer partitions than nodes; "
        + "0 = never (default: 4 per core, ${DEFAULT-VALUE} here).")
    int partitionsPerNode = SplitSettings.partitionsPerNodeForCores(Runtime.getRuntime().availableProcessors());

    @Option(names = {"--split-hot-ops", "--split-hot-writes"}, defaultValue = "5000",
        description = "Split a partition whose leader reports this many operations/s (writes plus linearizable "
            + "reads) for --split-hot-for; 0 = never (default: ${DEFAULT-VALUE}).")
    long splitHotOps;

    @Option(names = "--split-hot-for", defaultValue = "60s",
        description = "How long a partition must stay that hot (default: ${DEFAULT-VALUE}).")
    String splitHotFor;

    @Option(names = "--split-bytes", defaultValue = "64m",
        description = "Split a partition whose live data reaches this size, e.g. 64m; 0 = never "
            + "(default: ${DEFAULT-VALUE}).")
    String splitBytes;

    @Option(names = "--tls-cert", description = "This node's certificate (PEM): turns TLS on for gRPC, HTTP and raft.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "The certificate's private key (PEM).")
    Path tlsKey;

    @Option(names = "--tls-ca", description = "CA (PEM) that signed the nodes' and clients' certificates.")
    Path tlsCa;

    @Option(names = "--tls-client-auth", defaultValue = "none",
        description = "none, optional or require: whether gRPC and HTTP callers must show a certificate from --tls-ca "
            + "(raft peers always must) (default: ${DEFAULT-VALUE}).")
    String tlsClientAuth;

    @Option(names = "--client-token", defaultValue = "${env:SHARDGRID_CLIENT_TOKEN}",
        description = "Shared secret every data and routing call must carry (env SHARDGRID_CLIENT_TOKEN); "
            + "unset = open.")
    String clientToken;

    ServerConfig toConfig() {
        ServerConfig d = ServerConfig.defaults();
        return new ServerConfig(nodeId, httpAddr, grpcAddr != null ? grpcAddr : ServerConfig.grpcBesideHttp(httpAddr), raftAddr, dataDir, bootstrap, join, bootstrapExpect, partitions, replication,
            parseBytes("memory", memory), Eviction.parse(eviction), durability, new Limits(maxKeyBytes, maxValueBytes), d.maxBatchOps(),
            d.maxBatchBytes(), d.maxQueuedWrites(), d.requestTimeout(), adminToken, d.snapshotEveryEntries(),
            d.logSegmentBytes(), new PlacementSettings(zone, duration(downAfter, "--down-after"),
                duration(placementInterval, "--placement-interval"), maxMovesPerNode, maxMoves,
                new SplitSettings(partitionsPerNode, splitHotOps, duration(splitHotFor, "--split-hot-for"),
                    parseBytes("--split-bytes", splitBytes))),
            new TlsSettings(tlsCert, tlsKey, tlsCa, TlsSettings.ClientAuth.parse(tlsClientAuth)), clientToken);
    }

    private static Duration duration(String text, String flag) {
        try {
            return Duration.ofMillis(DurationText.parseMs(text, TimeUnit.SECONDS));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
        }
    }

    static long parseBytes(String what, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(what + " '" + text + "' must be a size like 512m or 4g");
        }
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig config = toConfig();
        ParentWatch.exitWhenParentExits();
        GridNode node = new GridNode(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("error while stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, "shutdown"));
        node.start();
        // Serving its APIs, not yet ready: the node logs "ready" when /health/ready first answers 200.
        System.out.println(config.nodeId() + " started: http=" + config.httpAddress() + " grpc="
            + config.grpcAddress() + " raft=" + config.raftAddress() + " data=" + config.dataDir()
            + " (ready once /health/ready answers 200)");
        stopped.await();
        return 0;
    }
}
