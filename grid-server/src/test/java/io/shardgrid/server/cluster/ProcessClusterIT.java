package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    private final int[] http = new int[4];
    private ServerProcesses servers;

    @AfterEach
    void stopAll() throws InterruptedException {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void killingANodeWithSigkillAndRestartingItLosesNoAcknowledgedWrite() throws Exception {
        servers = new ServerProcesses(dir);
        for (int i = 1; i <= 3; i++) {
            http[i] = TestPorts.next();
        }
        for (int i = 1; i <= 3; i++) {
            List<String> args = new ArrayList<>(List.of("-node_id", "node" + i,
                "-http_addr", "127.0.0.1:" + http[i],
                "--grpc-addr", TestPorts.nextLoopbackAddress(),
                "-raft_addr", TestPorts.nextLoopbackAddress(),
                "-raft_dir", dir.resolve("raft_node" + i).toString(),
                "--partitions", "8", "--memory", "64m", "--partitions-per-node", "0"));
            if (i == 1) {
                args.add("-bootstrap");
            } else {
                args.addAll(List.of("-join", "127.0.0.1:" + http[1]));
            }
            servers.start(i, http[i], args);
            servers.awaitReady(i);
        }
        for (int i = 1; i <= 3; i++) {
            servers.awaitReady(i);
        }
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            if (servers.get(1 + i % 3, "/set?key=k" + i + "&value=v" + i).statusCode() == 200) {
                acknowledged.add("k" + i);
            }
        }
        assertThat(acknowledged).hasSize(150);

        servers.kill9(1);

        // Partitions the victim led elect new leaders; until then their writes fail and are retried.
        for (int i = 150; i < 250; i++) {
            int node = 2 + i % 2;
            String set = "/set?key=k" + i + "&value=v" + i;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> servers.get(node, set).statusCode() == 200);
            acknowledged.add("k" + i);
        }

        servers.restart(1);
        servers.awaitReady(1);
        for (String key : acknowledged) {
            String value = "v" + key.substring(1);
            for (int node = 1; node <= 3; node++) {
                HttpResponse<String> r = servers.get(node, "/get?key=" + key);
                assertThat(r.statusCode()).as(key + " on node" + node).isEqualTo(200);
                assertThat(r.body()).isEqualTo(value);
            }
        }
    }
}
