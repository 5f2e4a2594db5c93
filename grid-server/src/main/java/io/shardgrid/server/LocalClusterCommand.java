package io.shardgrid.server;

import io.shardgrid.server.config.Eviction;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.tls.ThrowawayCa;
import io.shardgrid.server.transport.TlsContexts;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grid local-cluster}: three nodes as separate processes on loopback (HTTP 8081–8083, gRPC
 * 9091–9093, raft 11001–11003), data under one directory. Waits until every node is ready, prints
 * how to use it, and stops every node on Ctrl-C; the nodes also stop by themselves if this process
 * dies. Starting again over the same directory keeps the data.
 */
@Command(name = "local-cluster", mixinStandardHelpOptions = true,
    description = "Run a 3-node Shardgrid cluster on loopback until Ctrl-C.")
public final class LocalClusterCommand implements Callable<Integer> {
    /** Environment variable with extra JVM options for every node, split on white space. */
    static final String NODE_JAVA_OPTS_ENV = "GRID_NODE_JAVA_OPTS";

    @Option(names = "--dir", description = "Data and log directory (default: ${DEFAULT-VALUE}).")
    Path dir = Path.of("local-cluster");

    @Option(names = "--nodes", description = "Node count (default: ${DEFAULT-VALUE}).")
    int nodes = 3;

    @Option(names = "--partitions", description = "Partitions, a power of two (default: ${DEFAULT-VALUE}, "
        + "four per core of this machine, 8 to 64).")
    int partitions = partitionsForCores(Runtime.getRuntime().availableProcessors());

    @Option(names = "--memory", description = "Off-heap budget per node (default: ${DEFAULT-VALUE}).")
    String memory = "512m";

    @Option(names = "--eviction", description = "none, lru, lfu or volatile-ttl, as for grid server (default: ${DEFAULT-VALUE}).")
    String eviction = "none";

    @Option(names = "--durability", description = "sync or async (default: ${DEFAULT-VALUE}).")
    String durability = "sync";

    @Option(names = "--tls", description = "TLS on every port, with a CA and node certificates made in <dir>/tls "
        + "on the first start (clients need its ca.pem).")
    boolean tls;

    @Option(names = "--ready-timeout", description = "Seconds to wait for readiness (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds = 180;

    /**
     * All nodes of a local cluster share one machine, and every partition costs each of them a raft
     * log, threads, heartbeats and an fsync per write whether busy or not: on 2 cores 64 partitions
     * wrote 3–6× slower than 8 and took 46–64 s instead of 13–15 s to start (bench/README). Four per
     * core keeps every core fed with leaders; the count is fixed at bootstrap, so more cores get more.
     */
    static int partitionsForCores(int cores) {
        return Math.max(8, Math.min(64, Integer.highestOneBit(Math.max(1, 4 * cores))));
    }

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes " + nodes + " must be in [1, 9]");
        }
        Eviction.parse(eviction); // a bad value fails here, not in every node

        Files.createDirectories(dir);
        String adminToken = adminToken();
        if (tls) {
            makeCertificates();
        }
        Instant started = Instant.now();
        List<Process> processes = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAll(processes), "local-cluster-stop"));
        // Every node at once: the joiners start their JVMs while node1 bootstraps, and retry their
        // join until it can take them. Over an existing directory node1 could never be ready alone
        // (its partitions need a second replica to elect), so waiting for it first would hang.
        for (int i = 1; i <= nodes; i++) {
            processes.add(startNode(i, adminToken));
        }
        for (int i = 1; i <= nodes; i++) {
            awaitReady(i, processes);
        }
        Duration took = Duration.between(started, Instant.now());
        System.out.printf("%nShardgrid local cluster of %d nodes is ready in %.1f s (data and logs in %s).%n", nodes,
            took.toMillis() / 1000.0, dir.toAbsolutePath());
        String scheme = tls ? "https" : "http";
        String curl = tls ? "curl --cacert " + tlsDir().resolve("ca.pem") + " " : "curl ";
        String gridTls = tls ? " --tls-ca " + tlsDir().resolve("ca.pem") : "";
        System.out.println("  " + curl + "\"" + scheme + "://127.0.0.1:8081/set?key=hello&value=world\"");
        System.out.println("  " + curl + "\"" + scheme + "://127.0.0.1:8082/get?key=hello\"");
        System.out.println("  bin/grid get hello" + gridTls);
        System.out.println("  gRPC: 127.0.0.1:9091-" + (9090 + nodes) + "   metrics: " + scheme + "://127.0.0.1:8081/metrics");
        System.out.println("  admin: bin/grid admin status" + gridTls + "   (token in " + dir.resolve("admin-token") + ")");
        System.out.println("Press Ctrl-C to stop every node.");
        for (Process p : processes) {
            p.waitFor();
        }
        return 0;
    }

    /**
     * The admin token of this cluster: SHARDGRID_ADMIN_TOKEN if set, else the one kept in
     * {@code <dir>/admin-token} (readable by its owner only), made up on the first start.
     * {@code bin/grid admin} finds it there when run from the same directory.
     */
    private String adminToken() throws IOException {
        String env = System.getenv("SHARDGRID_ADMIN_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        Path file = dir.resolve("admin-token");
        if (Files.exists(file)) {
            return Files.readString(file).trim();
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Files.writeString(file, token + "\n");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the directory's own permissions have to do
        }
        return token;
    }

    private Path tlsDir() {
        return dir.resolve("tls");
    }

    /**
     * A throwaway CA and a certificate for each node (valid for 127.0.0.1 and localhost), made once:
     * the CA's key is not kept, so a cluster restarted over the same directory keeps its
     * certificates, and one that needs certificates for more nodes starts anew in another --dir.
     */
    private void makeCertificates() {
        Path ca = tlsDir().resolve("ca.pem");
        if (Files.exists(ca)) {
            for (int i = 1; i <= nodes; i++) {
                if (!Files.exists(tlsDir().resolve("node" + i + ".pem"))) {
                    throw new IllegalArgumentException(tlsDir() + " has no certificate for node" + i
                        + " (its CA made them for fewer nodes); start a new cluster with another --dir");
                }
            }
            return;
        }
        ThrowawayCa authority = new ThrowawayCa("Shardgrid local cluster CA", Duration.ofDays(365));
        for (int i = 1; i <= nodes; i++) {
            authority.issue("node" + i, List.of("127.0.0.1", "localhost"), tlsDir().resolve("node" + i + ".pem"),
                tlsDir().resolve("node" + i + "-key.pem"));
        }
        authority.issue("client", List.of("127.0.0.1", "localhost"), tlsDir().resolve("client.pem"),
            tlsDir().resolve("client-key.pem"));
        authority.writeCa(ca);
    }

    private Process startNode(int i, String adminToken) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
            "-Xmx512m", "-XX:MaxDirectMemorySize=2g"));
        // Extra JVM options for every node (profiling, GC, -Draft.* Ratis overrides).
        String extra = System.getenv().getOrDefault(NODE_JAVA_OPTS_ENV, "").trim();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
            GridMain.class.getName(), "server",
            "--node-id", "node" + i,
            "--http-addr", "127.0.0.1:" + (8080 + i),
            "--grpc-addr", "127.0.0.1:" + (9090 + i),
            "--raft-addr", "127.0.0.1:" + (11000 + i),
            "--data-dir", dir.resolve("node" + i).toString(),
            "--partitions", Integer.toString(partitions),
            "--memory", memory,
            "--eviction", eviction,
            "--durability", durability));
        if (tls) {
            cmd.addAll(List.of("--tls-cert", tlsDir().resolve("node" + i + ".pem").toString(),
                "--tls-key", tlsDir().resolve("node" + i + "-key.pem").toString(),
                "--tls-ca", tlsDir().resolve("ca.pem").toString()));
        }
        if (i == 1) {
            // Founded by the first nodes at once: no membership changes before the cluster is ready.
            cmd.addAll(List.of("--bootstrap", "--bootstrap-expect",
                Integer.toString(Math.min(nodes, ServerConfig.META_VOTERS))));
        } else {
            cmd.addAll(List.of("--join", "127.0.0.1:8081"));
        }
        File log = dir.resolve("node" + i + ".log").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        pb.environment().put(ParentWatch.ENV, Long.toString(ProcessHandle.current().pid()));
        // Through the environment, not the command line, so `ps` does not show it.
        pb.environment().put("SHARDGRID_ADMIN_TOKEN", adminToken);
        Process p = pb.start();
        System.out.println("started node" + i + " (pid " + p.pid() + ", log " + log + ")");
        return p;
    }

    /**
     * Polls node {@code i}'s {@code /health/ready} until it answers 200. A plain
     * {@link HttpURLConnection}: java.net.http's client cost this process 0.3–0.4 s of CPU to set
     * up while the nodes it waits for were starting on the same cores.
     */
    private void awaitReady(int i, List<Process> processes) throws Exception {
        SSLSocketFactory trusting = tls ? TlsContexts.trusting(tlsDir().resolve("ca.pem")).getSocketFactory() : null;
        URI ready = URI.create((tls ? "https" : "http") + "://127.0.0.1:" + (8080 + i) + "/health/ready");
        Instant deadline = Instant.now().plusSeconds(readyTimeoutSeconds);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            if (!processes.get(i - 1).isAlive()) {
                throw new IllegalStateException("node" + i + " exited; see " + dir.resolve("node" + i + ".log"));
            }
            HttpURLConnection http = (HttpURLConnection) ready.toURL().openConnection();
            if (http instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(trusting);
            }
            http.setConnectTimeout(1000);
            http.setReadTimeout(2000);
            try {
                if (http.getResponseCode() == 200) {
                    return;
                }
                try (InputStream body = http.getErrorStream()) {
                    last = body == null ? "HTTP " + http.getResponseCode()
                        : new String(body.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                last = e.toString();
            } finally {
                http.disconnect();
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("node" + i + " not ready after " + readyTimeoutSeconds + " s: " + last);
    }

    private static void stopAll(List<Process> processes) {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }
}
