package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * N {@code grid server} processes on loopback, as a user starts them, that a test may kill with
 * SIGKILL, start again with the same command and data directory, or freeze with SIGSTOP.
 *
 * <p>Every node runs the current JVM's {@code java} with this process's class path (which holds
 * grid-server) and {@code io.shardgrid.server.GridMain server}; node 1 bootstraps, the others join
 * it. Nodes listen on 127.0.0.1, or each on its own address in its own network namespace when
 * given a {@link NetnsNetwork}. Ports are {@code base + 3(i-1) + {0,1,2}} (HTTP, gRPC, raft) with a random base below the
 * kernel's ephemeral range, so a port freed by a killed node is not handed to an outgoing
 * connection before the node comes back. Each node also watches this process
 * ({@code SHARDGRID_PARENT_PID}) and exits if it dies; {@link #close()} kills every node anyway.
 */
public final class ProcessCluster implements AutoCloseable {
    private static final String MAIN = "io.shardgrid.server.GridMain";
    private static final String PARENT_PID_ENV = "SHARDGRID_PARENT_PID";
    private static final String NODE_JAVA_OPTS_ENV = "GRID_NODE_JAVA_OPTS";

    private final Path dir;
    private final int nodes;
    private final int partitions;
    private final int basePort;
    private final String adminToken;
    private final Path[] dataDirs;
    private final Process[] processes;
    /** Per node, the environment its next start adds (a moved clock), or an empty map. */
    private final Map<Integer, Map<String, String>> extraEnv = new HashMap<>();
    /** Per node, the last reason /health/ready gave for not being ready (503 body or connection error). */
    private final String[] notReadyReasons;
    /** Options added to every node's {@code grid server} command line. */
    private final List<String> extraServerArgs = new ArrayList<>();
    /** Null: every node on 127.0.0.1 in this network namespace. */
    private NetnsNetwork network;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * @param dir        logs and (unless overridden with {@link #dataDir(int, Path)}) data directories
     * @param nodes      node count, 1 to 9
     * @param partitions partitions to bootstrap, a power of two
     * @param random     picks the port base
     */
    public ProcessCluster(Path dir, int nodes, int partitions, Random random) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes " + nodes + " must be in [1, 9]");
        }
        this.dir = dir;
        this.nodes = nodes;
        this.partitions = partitions;
        this.basePort = pickBasePort(nodes * 3, random);
        byte[] token = new byte[16];
        new SecureRandom().nextBytes(token);
        this.adminToken = HexFormat.of().formatHex(token);
        this.dataDirs = new Path[nodes + 1];
        this.processes = new Process[nodes + 1];
        this.notReadyReasons = new String[nodes + 1];
        for (int i = 1; i <= nodes; i++) {
            dataDirs[i] = dir.resolve("node" + i);
        }
    }

    /** Puts node {@code i}'s data in {@code dataDir} (e.g. a small tmpfs); call before {@link #start()}. */
    public void dataDir(int i, Path dataDir) {
        dataDirs[i] = dataDir;
    }

    /** Adds options to every node's command line (e.g. {@code --placement-interval 0}); call before {@link #start}. */
    public void serverArgs(List<String> args) {
        extraServerArgs.addAll(args);
    }

    /** Runs every node in its own namespace of {@code net}, on its address there; call before {@link #start()}. */
    void network(NetnsNetwork net) {
        this.network = net;
    }

    /** The address node {@code i} listens on. */
    String host(int i) {
        return network == null ? "127.0.0.1" : network.address(i);
    }

    public int size() {
        return nodes;
    }

    public String nodeId(int i) {
        return "node" + i;
    }

    /** The node number of {@code nodeId}, or -1. */
    public int indexOf(String nodeId) {
        for (int i = 1; i <= nodes; i++) {
            if (nodeId(i).equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    public String adminToken() {
        return adminToken;
    }

    public List<String> grpcAddresses() {
        List<String> seeds = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            seeds.add(host(i) + ":" + grpcPort(i));
        }
        return seeds;
    }

    public Path dataDir(int i) {
        return dataDirs[i];
    }

    public Path log(int i) {
        return dir.resolve("node" + i + ".log");
    }

    /** Starts node 1, waits for it, then starts the others and waits until every node is ready. */
    public void start(Duration readyTimeout) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (int i = 1; i <= nodes; i++) {
            startNode(i);
            if (i == 1) {
                awaitReady(1, readyTimeout);
            }
        }
        for (int i = 1; i <= nodes; i++) {
            awaitReady(i, readyTimeout);
        }
    }

    /** SIGKILL: the node gets no chance to flush or say goodbye. */
    public void kill9(int i) throws InterruptedException {
        Process p = processes[i];
        if (p != null) {
            signal(p, "CONT");
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            processes[i] = null;
        }
    }

    /** Starts node {@code i} again with the same command and data directory; does not wait for it. */
    public void restart(int i) throws IOException {
        if (processes[i] != null && processes[i].isAlive()) {
            throw new IllegalStateException(nodeId(i) + " is still running (pid " + processes[i].pid() + ")");
        }
        startNode(i);
    }

    /**
     * Starts node {@code i} again as {@link #restart(int)} does, with its wall clock {@code offsetSeconds}
     * off through libfaketime ({@code library}); a later {@link #restart(int)} starts it on the true clock.
     */
    void restartWithClockOffset(int i, Path library, long offsetSeconds) throws IOException {
        extraEnv.put(i, Faketime.environment(library, offsetSeconds));
        try {
            restart(i);
        } finally {
            extraEnv.remove(i);
        }
    }

    /** SIGSTOP: the node keeps its sockets open but answers nothing until {@link #resume(int)}. */
    public void pause(int i) {
        signal(processes[i], "STOP");
    }

    public void resume(int i) {
        signal(processes[i], "CONT");
    }

    public boolean running(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** Whether {@code /health/ready} of node {@code i} answers 200 right now. */
    public boolean ready(int i) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + host(i) + ":" + httpPort(i) + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                notReadyReasons[i] = r.statusCode() + " " + r.body().trim();
            }
            return r.statusCode() == 200;
        } catch (IOException e) {
            notReadyReasons[i] = e.getClass().getSimpleName();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The last reason node {@code i} gave for not being ready, or null; clears it. */
    String takeNotReadyReason(int i) {
        String reason = notReadyReasons[i];
        notReadyReasons[i] = null;
        return reason;
    }

    /** Waits until node {@code i} is ready; fails with its log tail if it is not within {@code timeout} or dies. */
    public void awaitReady(int i, Duration timeout) throws InterruptedException {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!ready(i)) {
            if (!running(i)) {
                throw new IllegalStateException(nodeId(i) + " exited while starting\n" + logTail(i, 40));
            }
            if (System.nanoTime() > deadlineNs) {
                throw new IllegalStateException(nodeId(i) + " not ready within " + timeout.toSeconds() + " s ("
                    + notReadyReasons[i] + ")\n"
                    + logTail(i, 40));
            }
            Thread.sleep(200);
        }
    }

    /** Every node's pid, liveness, readiness and last {@code lines} log lines: for a failure report. */
    public String dump(int lines) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= nodes; i++) {
            Process p = processes[i];
            b.append("=== ").append(nodeId(i)).append(p == null ? " (not running)" : " pid " + p.pid()
                + (p.isAlive() ? "" : " exited " + p.exitValue())).append(", ready ").append(ready(i))
                .append(", log ").append(log(i)).append('\n').append(logTail(i, lines));
        }
        return b.toString();
    }

    public String logTail(int i, int lines) {
        try {
            if (!Files.exists(log(i))) {
                return "(no log)\n";
            }
            List<String> all = Files.readAllLines(log(i), StandardCharsets.UTF_8);
            StringBuilder b = new StringBuilder();
            for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
                b.append("  | ").append(line).append('\n');
            }
            return b.toString();
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")\n";
        }
    }

    /** Kills every node this cluster started (resuming paused ones first, so SIGKILL is delivered at once). */
    @Override
    public void close() {
        for (int i = 1; i <= nodes; i++) {
            Process p = processes[i];
            if (p != null) {
                signal(p, "CONT");
                p.destroyForcibly();
            }
        }
        for (int i = 1; i <= nodes; i++) {
            Process p = processes[i];
            if (p != null) {
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                processes[i] = null;
            }
        }
    }

    int httpPort(int i) {
        return basePort + 3 * (i - 1);
    }

    int grpcPort(int i) {
        return basePort + 3 * (i - 1) + 1;
    }

    int raftPort(int i) {
        return basePort + 3 * (i - 1) + 2;
    }

    private void startNode(int i) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(network == null ? List.of() : network.execPrefix(i));
        cmd.addAll(List.of(java,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
            "-Xmx256m", "-XX:MaxDirectMemorySize=512m"));
        // Extra JVM options for every node, as for `grid local-cluster` (e.g. -Draft.* Ratis overrides).
        String extra = System.getenv().getOrDefault(NODE_JAVA_OPTS_ENV, "").trim();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN, "server",
            "--node-id", nodeId(i),
            "--http-addr", host(i) + ":" + httpPort(i),
            "--grpc-addr", host(i) + ":" + grpcPort(i),
            "--raft-addr", host(i) + ":" + raftPort(i),
            "--data-dir", dataDirs[i].toString(),
            "--partitions", Integer.toString(partitions),
            "--memory", "64m",
            // The nemesis splits by hand and counts partitions: no splits of the driver's own beside it.
            "--partitions-per-node", "0", "--split-hot-writes", "0"));
        cmd.addAll(extraServerArgs);
        if (i == 1) {
            cmd.add("--bootstrap");
        } else {
            cmd.addAll(List.of("--join", host(1) + ":" + httpPort(1)));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
        pb.environment().put(PARENT_PID_ENV, Long.toString(ProcessHandle.current().pid()));
        pb.environment().put("SHARDGRID_ADMIN_TOKEN", adminToken);
        pb.environment().putAll(extraEnv.getOrDefault(i, Map.of()));
        processes[i] = pb.start();
    }

    private static void signal(Process p, String signal) {
        if (p == null || !p.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
                .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A free run of {@code count} ports below the ephemeral range (from
     * {@code /proc/sys/net/ipv4/ip_local_port_range}; 32768 if unreadable), starting in 21000–31000.
     */
    static int pickBasePort(int count, Random random) {
        int ephemeralLow = 32768;
        try {
            // readAllLines, not readString: /proc files report size 0 and readString trusts the size.
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            ephemeralLow = Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            // not Linux: keep the common default
        }
        int low = Math.max(1024, Math.min(21000, ephemeralLow - 1000));
        int high = Math.min(31000, ephemeralLow - count - 1);
        if (high <= low) {
            throw new IllegalStateException("no room for " + count + " ports below the ephemeral range starting at "
                + ephemeralLow);
        }
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = low + random.nextInt(high - low);
            if (allBindable(base, count)) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " free consecutive ports in [" + low + ", " + high + ")");
    }

    private static boolean allBindable(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
