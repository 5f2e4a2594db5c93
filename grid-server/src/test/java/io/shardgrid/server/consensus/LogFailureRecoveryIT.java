package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.server.cluster.InJvmGridCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica whose raft log failed (as Ratis reports a full disk) and whose raft-meta the failure
 * emptied is reported unready, then repaired and reopened from its directory by the node itself,
 * with its data, and serves again.
 */
class LogFailureRecoveryIT {
    private static final int PARTITIONS = 2;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    InJvmGridCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpResponse<String> get(int node, String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + cluster.config(node).httpAddress()
            + pathAndQuery)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFailedLogIsReportedThenReopenedWithItsData() throws Exception {
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 10_000).start();
        for (int i = 0; i < 50; i++) {
            assertThat(get(1, "/set?key=k" + i + "&value=v" + i).statusCode()).isEqualTo(200);
        }
        RatisNode node2 = cluster.node(2).raft();
        PartitionStateMachine failed = node2.stateMachine(0);
        RaftServer.Division division = node2.division(GroupIds.partition(0));
        long term = division.getInfo().getCurrentTerm();
        Path meta = division.getRaftStorage().getStorageDir().getCurrentDir().toPath().resolve("raft-meta");
        // What a full disk does to Ratis: the log worker fails, and a term update's write leaves raft-meta empty.
        Files.write(meta, new byte[0]);
        failed.notifyLogFailed(new IOException("No space left on device (injected)"), null);

        HttpResponse<String> unready = get(2, "/health/ready");
        assertThat(unready.statusCode()).isEqualTo(503);
        assertThat(unready.body()).contains("partition 0").contains("raft log failed");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> get(2, "/health/ready").statusCode() == 200);
        assertThat(node2.stateMachine(0)).as("a new state machine after the reopen").isNotSameAs(failed);
        assertThat(node2.logFailure(0)).isEmpty();
        assertThat(node2.partitionsReopening()).isEmpty();
        Properties repaired = new Properties();
        try (var in = Files.newInputStream(meta)) {
            repaired.load(in);
        }
        assertThat(Long.parseLong(repaired.getProperty("term"))).isGreaterThanOrEqualTo(term);

        for (int i = 50; i < 60; i++) {
            assertThat(get(2, "/set?key=k" + i + "&value=v" + i).statusCode()).isEqualTo(200);
        }
        // The reopened replica recovered the log and the store from its directory and keeps up.
        await().atMost(Duration.ofSeconds(30)).until(() -> node2.appliedIndex(0) >= leaderCommit(0));
        for (int i = 0; i < 60; i++) {
            HttpResponse<String> value = get(2, "/get?key=k" + i);
            assertThat(value.statusCode()).as("k%d", i).isEqualTo(200);
            assertThat(value.body()).isEqualTo("v" + i);
        }
        assertThat(node2.store(0).stats().keys()).isEqualTo(cluster.node(1).raft().store(0).stats().keys());
    }

    private long leaderCommit(int partition) {
        int leader = cluster.awaitLeader(partition);
        return cluster.node(leader).raft().commitIndex(partition);
    }
}
