package io.shardgrid.bench.floor;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.config.Durability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real server processes; asserts correctness only (speed lives in the floor's own runs). */
class RatisFloorTest {
    private static final int OPS = 64;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void oneGroupOneWriterGetsEveryEntryCountedAndStopsItsServers(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        FloorRow row;
        List<Long> pids;
        try (FloorCluster cluster = FloorCluster.start(Durability.SYNC, dir, java,
                System.getProperty("java.class.path"))) {
            pids = cluster.pids();
            assertThat(pids).hasSize(FloorCluster.SERVERS).allSatisfy(pid -> assertThat(alive(pid)).isTrue());
            List<RaftClient> clients = new ArrayList<>();
            try {
                for (RaftGroup group : cluster.createGroups(1)) {
                    clients.add(cluster.client(group, RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS))));
                }
                FloorLoad.prime(clients, 60_000);
                row = FloorLoad.run(clients, pids, "SYNC", OPS, 1, 0, 1_000, 100);
            } finally {
                for (RaftClient c : clients) {
                    c.close();
                }
            }
        }
        assertThat(row.entries()).as("entries acknowledged in the window").isPositive();
        assertThat(row.mismatches()).as("replies whose count differs from the %d ops sent", OPS).isZero();
        assertThat(row.p50Us()).isPositive();
        assertThat(pids).allSatisfy(pid -> assertThat(alive(pid)).as("server %d alive after close", pid).isFalse());
        try (var left = Files.list(dir)) {
            assertThat(left).as("data directory left behind").isEmpty();
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
