package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code grid server} processes, as a user starts them (the seed's walkthrough), one of them
 * killed with SIGKILL and started again with the same command: every acknowledged write survives.
 */
class ProcessClusterIT {
    @TempDir
    Path dir;
    private final Map<Integer, Process> processes = new HashMap<>();
    private final Map<Integer, List<String>> commands = new HashMap<>();
    private final int[] http = new int[4];
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : processes.values()) {
            p.destroyForcibly();
        }
        for (Process p : processes.values()) {
            p.waitFor();
        }
    }

    @Test
    void killingANodeWithSigkillAndRestartingItLosesNoAcknowledgedWrite() throws Exception {
        for (int i = 1; i <= 3; i++) {
            http[i] = TestPorts.next();
        }
        for (int i = 1; i <= 3; i++) {
            List<String> args = new ArrayList<>(List.of("-node_id", "node" + i,
                "-http_addr", "127.0.0.1:" + http[i],
                "--grpc-addr", TestPorts.nextLoopbackAddress(),
                "-raft_addr", TestPorts.nextLoopbackAddress(),
                "-raft_dir", dir.resolve("raft_node" + i).toString(),
                "--partitions", "8", "--memory", "64m"));
            if (i == 1) {
                args.add("-bootstrap");
            } else {
                args.addAll(List.of("-join", "127.0.0.1:" + http[1]));
            }
            commands.put(i, args);
            start(i);
            awaitReady(i);
        }
        for (int i = 1; i <= 3; i++) {
            awaitReady(i);
        }
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            if (get(1 + i % 3, "/set?key=k" + i + "&value=v" + i).statusCode() == 200) {
                acknowledged.add("k" + i);
            }
        }
        assertThat(acknowledged).hasSize(150);

        Process victim = processes.remove(1);
        victim.destroyForcibly();
        victim.waitFor();

        // Partitions the victim led elect new leaders; until then their writes fail and are retried.
        for (int i = 150; i < 250; i++) {
            int node = 2 + i % 2;
            String set = "/set?key=k" + i + "&value=v" + i;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> get(node, set).statusCode() == 200);
            acknowledged.add("k" + i);
        }

        start(1);
        awaitReady(1);
        for (String key : acknowledged) {
            String value = "v" + key.substring(1);
            for (int node = 1; node <= 3; node++) {
                HttpResponse<String> r = get(node, "/get?key=" + key);
                assertThat(r.statusCode()).as(key + " on node" + node).isEqualTo(200);
                assertThat(r.body()).isEqualTo(value);
            }
        }
    }

    private void start(int i) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path module = Path.of(System.getProperty("user.dir"));
        String classpath = module.resolve("target/classes") + File.pathSeparator + module.resolve("target/lib") + "/*";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", "-Xmx256m",
            "-cp", classpath, "io.shardgrid.server.GridMain", "server"));
        cmd.addAll(commands.get(i));
        Path log = dir.resolve("node" + i + ".log");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(i, p);
    }

    private void awaitReady(int i) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
            .until(() -> get(i, "/health/ready").statusCode() == 200);
    }

    private HttpResponse<String> get(int node, String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http[node] + pathAndQuery))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
