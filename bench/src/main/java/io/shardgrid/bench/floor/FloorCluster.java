package io.shardgrid.bench.floor;

import io.shardgrid.server.config.Durability;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

/**
 * Three {@link FloorServer} processes on loopback, each a separate JVM started with the current
 * java binary and class path, with data in a temporary directory. Owns them: {@link #close()}
 * (also run by a shutdown hook) stops exactly the processes it started and deletes the directory.
 */
final class FloorCluster implements Closeable {
    static final int SERVERS = 3;
    static final List<String> JVM_FLAGS = List.of(
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4");
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long STOP_TIMEOUT_MS = 5_000;
    /** Ports are drawn below the kernel's ephemeral range so outgoing connections never take them. */
    private static final int PORT_LOW = 20_000;
    private static final int PORT_HIGH = 32_000;

    private final Durability durability;
    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final List<RaftPeer> peers = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopQuietly, "floor-cluster-stop");
    private final RaftProperties clientProperties = new RaftProperties();

    private FloorCluster(Durability durability, Path dir) {
        this.durability = durability;
        this.dir = dir;
        RaftClientConfigKeys.Rpc.setRequestTimeout(clientProperties, TimeDuration.valueOf(15, TimeUnit.SECONDS));
    }

    /** Starts three servers and waits until each listens; on any failure stops what it started. */
    static FloorCluster start(Durability durability, Path parentDir, String java, String classPath)
            throws IOException {
        Files.createDirectories(parentDir);
        FloorCluster cluster = new FloorCluster(durability, Files.createTempDirectory(parentDir, "ratis-floor-"));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.spawn(java, classPath);
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void spawn(String java, String classPath) throws IOException {
        List<Integer> ports = freePorts(SERVERS);
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        for (int i = 0; i < SERVERS; i++) {
            String id = "f" + (i + 1);
            String address = "127.0.0.1:" + ports.get(i);
            Path data = dir.resolve(id);
            Files.createDirectories(data);
            List<String> command = new ArrayList<>();
            command.add(java);
            command.addAll(JVM_FLAGS);
            // -Draft.* given to the driver reach the servers, where RatisTuning applies them.
            for (String name : System.getProperties().stringPropertyNames()) {
                if (name.startsWith("raft.")) {
                    command.add("-D" + name + "=" + System.getProperty(name));
                }
            }
            command.addAll(List.of("-cp", classPath, FloorServer.class.getName(), id, address, data.toString(),
                durability.name()));
            Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve(id + ".log").toFile()))
                .start();
            processes.add(p);
            peers.add(RaftPeer.newBuilder().setId(RaftPeerId.valueOf(id)).setAddress(address).build());
            ready.add(awaitReady(p, id));
        }
        try {
            CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("floor servers not ready within " + START_TIMEOUT_MS + " ms; logs in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting floor servers", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("a floor server failed to start: " + e.getCause().getMessage() + "; logs in " + dir, e);
        }
    }

    private static CompletableFuture<Void> awaitReady(Process p, String id) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals(FloorServer.READY)) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // the process went away; reported below
            }
            ready.completeExceptionally(new IOException(id + " exited with " + exitCode(p) + " before it was ready"));
        }, "floor-" + id + "-stdout");
        reader.setDaemon(true);
        reader.start();
        return ready;
    }

    private static String exitCode(Process p) {
        try {
            return p.waitFor(1, TimeUnit.SECONDS) ? String.valueOf(p.exitValue()) : "(still running)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(unknown)";
        }
    }

    /** Creates {@code count} RF-3 groups on all three servers, adding each to every peer as Membership does. */
    List<RaftGroup> createGroups(int count) throws IOException {
        List<RaftGroup> groups = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            groups.add(RaftGroup.valueOf(RaftGroupId.valueOf(UUID.randomUUID()), peers));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(4, count));
        try {
            List<CompletableFuture<Void>> added = new ArrayList<>();
            for (RaftGroup g : groups) {
                added.add(CompletableFuture.runAsync(() -> addEverywhere(g), pool));
            }
            CompletableFuture.allOf(added.toArray(CompletableFuture[]::new)).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IOException("adding groups failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return groups;
    }

    private void addEverywhere(RaftGroup group) {
        try (RaftClient client = client(group, RetryPolicies.noRetry())) {
            for (RaftPeer peer : group.getPeers()) {
                addWithRetry(client, group, peer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Group add is not idempotent: after a timed-out attempt, AlreadyExists means the first one worked. */
    private static void addWithRetry(RaftClient client, RaftGroup group, RaftPeer peer) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.getGroupManagementApi(peer.getId()).add(group);
                return;
            } catch (AlreadyExistsException e) {
                if (attempt > 1) {
                    return;
                }
                throw e;
            } catch (IOException e) {
                if (attempt >= 3) {
                    throw new IOException("adding " + group.getGroupId() + " to " + peer.getId() + " failed "
                        + attempt + " times", e);
                }
            }
        }
    }

    RaftClient client(RaftGroup group, RetryPolicy retry) {
        return RaftClient.newBuilder().setProperties(clientProperties).setRaftGroup(group).setRetryPolicy(retry).build();
    }

    List<Long> pids() {
        return processes.stream().map(Process::pid).toList();
    }

    Durability durability() {
        return durability;
    }

    boolean anyAlive() {
        return processes.stream().anyMatch(Process::isAlive);
    }

    /** The first lines of each server's log, for a failure report. */
    String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            Path log = dir.resolve("f" + (i + 1) + ".log");
            try (Stream<String> lines = Files.lines(log)) {
                b.append("--- f").append(i + 1).append(" ---\n");
                lines.limit(40).forEach(l -> b.append(l).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                b.append("--- f").append(i + 1).append(": no log (").append(e.getMessage()).append(")\n");
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running or ran
        }
    }

    private synchronized void stopQuietly() {
        for (Process p : processes) {
            try {
                p.getOutputStream().close();
            } catch (IOException e) {
                // closing stdin is the polite stop; destroy below is the firm one
            }
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }

    private static List<Integer> freePorts(int count) throws IOException {
        List<Integer> ports = new ArrayList<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int tries = 0; ports.size() < count && tries < 200; tries++) {
            int port = random.nextInt(PORT_LOW, PORT_HIGH);
            if (ports.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                ports.add(port);
            } catch (IOException e) {
                // taken; draw another
            }
        }
        if (ports.size() < count) {
            throw new IOException("found only " + ports.size() + " free loopback ports in [" + PORT_LOW + ", "
                + PORT_HIGH + ") after 200 tries");
        }
        return ports;
    }
}
