package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.core.ports.WriteCommand;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.raftlog.RaftLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An entry that does not parse, sent straight to a partition's raft group (as a foreign or buggy
 * raft client could), is refused by the leader before it enters the log: the client gets a clear
 * state machine error, no replica's log holds it, and the group keeps applying writes (before,
 * the first replica to apply it threw on its apply thread and stopped the group for good).
 */
class MalformedEntryIT {
    @TempDir
    Path dir;
    InJvmGridCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aMalformedEntryIsRefusedBeforeTheLogAndTheGroupKeepsServing() throws Exception {
        // Automatic placement off, so leadership stays where it is for the test's writes.
        cluster = new InJvmGridCluster(dir, 3, 1, 10_000)
            .withPlacement(new PlacementSettings("", Duration.ofSeconds(30), Duration.ZERO, 1, 4)).start();
        RatisNode leader = cluster.node(cluster.awaitLeader(0)).raft();
        assertThat(leader.write(0, List.of(WriteCommand.set(b("before"), b("1"), 0))).get(0).join().ok()).isTrue();

        byte[] garbage = "not a shardgrid log entry".getBytes(StandardCharsets.US_ASCII);
        LocalRaftSubmitter submitter = leader.submitter();
        RaftClientReply reply = submitter.submit(submitter.request(GroupIds.partition(0), Message.valueOf(
            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(garbage)),
            RaftClientRequest.writeRequestType())).join();

        assertThat(reply.isSuccess()).isFalse();
        assertThat(reply.getStateMachineException()).isNotNull();
        assertThat(reply.getStateMachineException().getMessage()).contains("refused a malformed entry before the log");

        assertThat(leader.write(0, List.of(WriteCommand.set(b("after"), b("2"), 0))).get(0).join().ok()).isTrue();
        long committed = leader.commitIndex(0);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int n : cluster.runningNodes()) {
                assertThat(cluster.node(n).raft().appliedIndex(0)).as("applied index on n%d", n)
                    .isGreaterThanOrEqualTo(committed);
            }
        });
        for (int n : cluster.runningNodes()) {
            RaftLog log = cluster.node(n).raft().division(GroupIds.partition(0)).getRaftLog();
            for (long i = log.getStartIndex(); i <= log.getLastEntryTermIndex().getIndex(); i++) {
                LogEntryProto entry = log.get(i);
                assertThat(entry.hasStateMachineLogEntry()
                    && Arrays.equals(entry.getStateMachineLogEntry().getLogData().toByteArray(), garbage))
                    .as("n%d's log entry %d is the refused entry", n, i).isFalse();
            }
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
