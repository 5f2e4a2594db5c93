package io.shardgrid.server.config;

import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.NodeDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything one node needs to start, with every default in one place ({@link #defaults()}).
 * Validated once, at construction, with messages that carry the bad value.
 *
 * @param nodeId            unique, stable id of this node
 * @param httpAddress       host:port of the HTTP API (the seed's /set /get /join, metrics, health)
 * @param grpcAddress       host:port of the gRPC data, routing and admin API
 * @param raftAddress       host:port of the raft transport
 * @param dataDir           raft logs, snapshots and node metadata
 * @param bootstrap         create a new cluster with every partition on this node
 * @param join              address (HTTP or gRPC) of any node of the cluster to join; empty = none
 * @param bootstrapExpect   nodes a bootstrap founds the cluster with: this one and the first to join it (1 = alone)
 * @param partitions        partition count P (a power of two) when bootstrapping
 * @param replication       replication factor RF
 * @param memoryBytes       off-heap byte budget shared by this node's partitions
 * @param eviction          what a partition leader does when its share of the budget runs out
 * @param durability        fsync each batch, or flush in the background
 * @param limits            key and value size limits
 * @param maxBatchOps       group commit: most operations in one raft entry
 * @param maxBatchBytes     group commit: most payload bytes in one raft entry
 * @param maxQueuedWrites   per partition: writes waiting for their entry before RESOURCE_EXHAUSTED
 * @param requestTimeout    how long a write may wait for its commit before DEADLINE_EXCEEDED
 * @param adminToken        shared secret for the admin API; empty = admin calls refused
 * @param snapshotEveryEntries each partition snapshots its store after this many log entries
 * @param logSegmentBytes   raft log segment size; the log is purged behind snapshots a whole segment at a time
 * @param placement         zone, liveness and move limits of the placement driver
 * @param tls               TLS on every port, or {@link TlsSettings#OFF}
 * @param clientToken       shared secret data and routing calls must carry; empty = open (like Redis without requirepass)
 */
public record ServerConfig(
        String nodeId,
        String httpAddress,
        String grpcAddress,
        String raftAddress,
        Path dataDir,
        boolean bootstrap,
        String join,
        int bootstrapExpect,
        int partitions,
        int replication,
        long memoryBytes,
        Eviction eviction,
        Durability durability,
        Limits limits,
        int maxBatchOps,
        int maxBatchBytes,
        int maxQueuedWrites,
        Duration requestTimeout,
        String adminToken,
        long snapshotEveryEntries,
        long logSegmentBytes,
        PlacementSettings placement,
        TlsSettings tls,
        String clientToken) {

    public static final String DEFAULT_NODE_ID = "node1";
    public static final String DEFAULT_HTTP_ADDRESS = "127.0.0.1:8080";
    public static final String DEFAULT_GRPC_ADDRESS = "127.0.0.1:9090";
    public static final String DEFAULT_RAFT_ADDRESS = "127.0.0.1:11000";
    public static final String DEFAULT_DATA_DIR = "data/node1";
    public static final int DEFAULT_PARTITIONS = 64;
    public static final int DEFAULT_REPLICATION = 3;
    /** Voters of the meta group (the rest of the nodes follow it as listeners); a cluster founds with at most this many. */
    public static final int META_VOTERS = 3;
    public static final long DEFAULT_MEMORY_BYTES = 1L << 30;
    public static final int DEFAULT_MAX_BATCH_OPS = 1024;
    public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_QUEUED_WRITES = 16_384;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_SNAPSHOT_EVERY_ENTRIES = 20_000;
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L << 20;

    public ServerConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank() || !nodeId.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("node id '" + nodeId + "' must be letters, digits, '_', '.' or '-'");
        }
        httpAddress = normalize(httpAddress, "http address");
        grpcAddress = normalize(grpcAddress, "grpc address");
        raftAddress = normalize(raftAddress, "raft address");
        Objects.requireNonNull(dataDir, "dataDir");
        join = join == null ? "" : join.trim();
        if (bootstrap && !join.isEmpty()) {
            throw new IllegalArgumentException("--bootstrap and --join " + join + " are exclusive");
        }
        if (bootstrapExpect < 1 || bootstrapExpect > Math.min(replication, META_VOTERS)) {
            throw new IllegalArgumentException("bootstrap expect " + bootstrapExpect + " must be in [1, "
                + Math.min(replication, META_VOTERS) + "]: founding nodes hold every partition and vote in the "
                + "meta group (at most " + META_VOTERS + " voters); more nodes join after");
        }
        if (partitions < 1 || partitions > 65_536 || Integer.bitCount(partitions) != 1) {
            throw new IllegalArgumentException("partitions " + partitions + " must be a power of two in [1, 65536]");
        }
        if (replication < 1 || replication > 7) {
            throw new IllegalArgumentException("replication " + replication + " must be in [1, 7]");
        }
        if (memoryBytes < (1 << 20)) {
            throw new IllegalArgumentException("memory " + memoryBytes + " bytes must be at least 1 MiB");
        }
        Objects.requireNonNull(eviction, "eviction");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(limits, "limits");
        if (maxBatchOps < 1 || maxBatchOps > 65_535) {
            throw new IllegalArgumentException("max batch ops " + maxBatchOps + " must be in [1, 65535]");
        }
        if (maxBatchBytes < 1024) {
            throw new IllegalArgumentException("max batch bytes " + maxBatchBytes + " must be at least 1024");
        }
        if (maxQueuedWrites < 1) {
            throw new IllegalArgumentException("max queued writes " + maxQueuedWrites + " must be positive");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        adminToken = adminToken == null ? "" : adminToken;
        if (snapshotEveryEntries < 1) {
            throw new IllegalArgumentException("snapshot every " + snapshotEveryEntries + " entries must be positive");
        }
        if (logSegmentBytes < 4096) {
            throw new IllegalArgumentException("log segment " + logSegmentBytes + " bytes must be at least 4096");
        }
        placement = placement == null ? PlacementSettings.DEFAULTS : placement;
        tls = tls == null ? TlsSettings.OFF : tls;
        clientToken = clientToken == null ? "" : clientToken;
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_NODE_ID, DEFAULT_HTTP_ADDRESS, DEFAULT_GRPC_ADDRESS, DEFAULT_RAFT_ADDRESS,
            Path.of(DEFAULT_DATA_DIR), false, "", 1, DEFAULT_PARTITIONS, DEFAULT_REPLICATION, DEFAULT_MEMORY_BYTES,
            Eviction.NONE, Durability.SYNC, Limits.DEFAULT, DEFAULT_MAX_BATCH_OPS, DEFAULT_MAX_BATCH_BYTES,
            DEFAULT_MAX_QUEUED_WRITES, DEFAULT_REQUEST_TIMEOUT, "", DEFAULT_SNAPSHOT_EVERY_ENTRIES,
            DEFAULT_LOG_SEGMENT_BYTES, PlacementSettings.DEFAULTS, TlsSettings.OFF, "");
    }

    public ServerConfig withNode(String nodeId, String httpAddress, String grpcAddress, String raftAddress,
                                 Path dataDir) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites, requestTimeout,
            adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withMembership(boolean bootstrap, String join) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites, requestTimeout,
            adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withBootstrapExpect(int nodes) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, nodes, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites, requestTimeout,
            adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withCluster(int partitions, int replication, long snapshotEveryEntries, long logSegmentBytes,
                                    String adminToken) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites, requestTimeout,
            adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withDurability(Durability newDurability) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, newDurability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites,
            requestTimeout, adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withPlacement(PlacementSettings newPlacement) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites,
            requestTimeout, adminToken, snapshotEveryEntries, logSegmentBytes, newPlacement, tls, clientToken);
    }

    public ServerConfig withMemory(long newMemoryBytes, Eviction newEviction) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, newMemoryBytes, newEviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites,
            requestTimeout, adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, clientToken);
    }

    public ServerConfig withTls(TlsSettings newTls) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites,
            requestTimeout, adminToken, snapshotEveryEntries, logSegmentBytes, placement, newTls, clientToken);
    }

    public ServerConfig withClientToken(String newClientToken) {
        return new ServerConfig(nodeId, httpAddress, grpcAddress, raftAddress, dataDir, bootstrap, join, bootstrapExpect, partitions,
            replication, memoryBytes, eviction, durability, limits, maxBatchOps, maxBatchBytes, maxQueuedWrites,
            requestTimeout, adminToken, snapshotEveryEntries, logSegmentBytes, placement, tls, newClientToken);
    }

    /** Every field but the tokens, which are secrets and must not reach a log line. */
    @Override
    public String toString() {
        return "ServerConfig[nodeId=" + nodeId + ", httpAddress=" + httpAddress + ", grpcAddress=" + grpcAddress
            + ", raftAddress=" + raftAddress + ", dataDir=" + dataDir + ", bootstrap=" + bootstrap + ", join=" + join
            + ", partitions=" + partitions + ", replication=" + replication + ", memoryBytes=" + memoryBytes
            + ", eviction=" + eviction.flagValue() + ", durability=" + durability + ", limits=" + limits
            + ", maxBatchOps=" + maxBatchOps
            + ", maxBatchBytes=" + maxBatchBytes + ", maxQueuedWrites=" + maxQueuedWrites
            + ", requestTimeout=" + requestTimeout + ", adminToken=" + (adminToken.isEmpty() ? "(none)" : "(set)")
            + ", snapshotEveryEntries=" + snapshotEveryEntries + ", logSegmentBytes=" + logSegmentBytes
            + ", placement=" + placement + ", tls=" + tls
            + ", clientToken=" + (clientToken.isEmpty() ? "(none)" : "(set)") + "]";
    }

    public NodeDescriptor descriptor() {
        return new NodeDescriptor(nodeId, grpcAddress, httpAddress, raftAddress, placement.zone(), false);
    }

    /** The seed accepted ":8080"; we bind loopback for a bare port so nothing listens on every interface by accident. */
    static String normalize(String address, String what) {
        Objects.requireNonNull(address, what);
        String a = address.trim();
        if (a.startsWith(":")) {
            a = "127.0.0.1" + a;
        }
        int colon = a.lastIndexOf(':');
        if (colon <= 0 || colon == a.length() - 1) {
            throw new IllegalArgumentException(what + " '" + address + "' must be host:port");
        }
        try {
            int port = Integer.parseInt(a.substring(colon + 1));
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(what + " '" + address + "' has port " + port + " outside [0, 65535]");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + address + "' has a port that is not a number");
        }
        return a;
    }

    /**
     * The gRPC address used when none is given: the HTTP host with the HTTP port + 1010, so the
     * seed's walkthrough (three nodes differing only in -http_addr) needs no new flag.
     */
    public static String grpcBesideHttp(String httpAddress) {
        String http = normalize(httpAddress, "http address");
        int port = port(http) + 1010;
        if (port > 65_535) {
            throw new IllegalArgumentException("http address '" + httpAddress + "' leaves no room for a gRPC port "
                + "at +1010; give --grpc-addr");
        }
        return host(http) + ":" + port;
    }

    public static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    public static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }
}
