package io.shardgrid.server.cluster;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code grid server} processes started from this module's classes, as a user runs them, for tests
 * that kill them with SIGKILL and start them again with the same command. Each node logs to
 * {@code nodeN.log} in the directory; {@link #close()} kills whatever is still running.
 */
final class ServerProcesses implements AutoCloseable {
    private final Path dir;
    private final Map<Integer, Process> processes = new HashMap<>();
    private final Map<Integer, List<String>> commands = new HashMap<>();
    private final Map<Integer, Integer> httpPorts = new HashMap<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    ServerProcesses(Path dir) {
        this.dir = dir;
    }

    /** Starts node {@code i} with these {@code grid server} arguments (kept for {@link #restart}); its HTTP port. */
    void start(int i, int httpPort, List<String> serverArgs) throws IOException {
        commands.put(i, List.copyOf(serverArgs));
        httpPorts.put(i, httpPort);
        launch(i);
    }

    /** Starts node {@code i} again with the command it first had. */
    void restart(int i) throws IOException {
        launch(i);
    }

    /** SIGKILL: the node gets no chance to flush or say goodbye. */
    void kill9(int i) throws InterruptedException {
        Process p = processes.remove(i);
        p.destroyForcibly();
        p.waitFor();
    }

    void awaitReady(int i) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
            .until(() -> get(i, "/health/ready").statusCode() == 200);
    }

    HttpResponse<String> get(int node, String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(node) + pathAndQuery))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The raft groups a node's data directory holds: Ratis keeps each in a directory named by its id. */
    static Set<Path> raftGroupDirectories(Path dataDir) throws IOException {
        Path storage = dataDir.resolve("raft");
        if (!Files.isDirectory(storage)) {
            return Set.of();
        }
        try (Stream<Path> entries = Files.list(storage)) {
            return entries.filter(Files::isDirectory).collect(Collectors.toSet());
        }
    }

    private void launch(int i) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path module = Path.of(System.getProperty("user.dir"));
        String classpath = module.resolve("target/classes") + File.pathSeparator + module.resolve("target/lib") + "/*";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", "-Xmx256m",
            "-cp", classpath, "io.shardgrid.server.GridMain", "server"));
        cmd.addAll(commands.get(i));
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node" + i + ".log").toFile())).start();
        processes.put(i, p);
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes.values()) {
            p.destroyForcibly();
        }
        for (Process p : processes.values()) {
            p.waitFor();
        }
        processes.clear();
    }
}
