package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bootstrapping node of a {@code --bootstrap-expect 3} founding (or every founder) is killed with
 * SIGKILL as soon as its first raft group exists, before the first map can be recorded (the meta
 * group's first election alone takes 0.3 s or more), and started again with the same command: the
 * founding is finished, and all three nodes become ready and serve.
 */
class InterruptedFoundingIT {
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
    void aFounderKilledBetweenCreatingGroupsAndRecordingTheFirstMapFinishesTheFoundingOnRestart() throws Exception {
        startFoundingAndKillWhenNode1HoldsAGroup(List.of(1));
        servers.restart(1);
        assertFoundedAndServing();
    }

    /**
     * Every founder stopped at once: a group none of whose replicas heard from a leader comes back
     * with no configuration (Ratis keeps a new group's peers in memory only) and could never elect.
     */
    @Test
    void allFoundersKilledMidFoundingAndStartedAgainFinishTheFounding() throws Exception {
        startFoundingAndKillWhenNode1HoldsAGroup(List.of(1, 2, 3));
        for (int i = 1; i <= 3; i++) {
            servers.restart(i);
        }
        assertFoundedAndServing();
    }

    private void startFoundingAndKillWhenNode1HoldsAGroup(List<Integer> victims) throws Exception {
        servers = new ServerProcesses(dir);
        for (int i = 1; i <= 3; i++) {
            http[i] = TestPorts.next();
        }
        // The joiners first: they wait for their seed, which then founds with them at once.
        for (int i : List.of(2, 3, 1)) {
            List<String> args = new ArrayList<>(List.of("-node_id", "node" + i,
                "-http_addr", "127.0.0.1:" + http[i],
                "--grpc-addr", TestPorts.nextLoopbackAddress(),
                "-raft_addr", TestPorts.nextLoopbackAddress(),
                "-raft_dir", dataDir(i).toString(),
                "--partitions", "8", "--memory", "64m", "--partitions-per-node", "0"));
            if (i == 1) {
                args.addAll(List.of("-bootstrap", "--bootstrap-expect", "3"));
            } else {
                args.addAll(List.of("-join", "127.0.0.1:" + http[1]));
            }
            servers.start(i, http[i], args);
        }
        await().atMost(Duration.ofSeconds(120)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
            .until(() -> !ServerProcesses.raftGroupDirectories(dataDir(1)).isEmpty());
        for (int victim : victims) {
            servers.kill9(victim);
        }
        assertThat(dataDir(1).resolve("founding-map.pb"))
            .as("node1 was killed after its founding recorded the first map; nothing left to test").exists();
    }

    private void assertFoundedAndServing() throws Exception {
        for (int i = 1; i <= 3; i++) {
            servers.awaitReady(i);
        }
        assertThat(Files.readString(dir.resolve("node1.log"))).contains("resuming a founding");
        assertThat(dataDir(1).resolve("founding-map.pb")).doesNotExist();
        for (int k = 0; k < 60; k++) {
            assertThat(servers.get(1 + k % 3, "/set?key=k" + k + "&value=v" + k).statusCode()).isEqualTo(200);
        }
        for (int k = 0; k < 60; k++) {
            for (int node = 1; node <= 3; node++) {
                assertThat(servers.get(node, "/get?key=k" + k).body()).as("k%d on node%d", k, node).isEqualTo("v" + k);
            }
        }
    }

    private Path dataDir(int i) {
        return dir.resolve("raft_node" + i);
    }
}
