package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import org.apache.ratis.util.ExitUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A port that another process took before a node bound it: the fixture starts the node again on
 * fresh ports, or fails the test with the address, and never lets Ratis end the JVM.
 */
class InJvmGridClusterIT {
    @TempDir
    Path dir;
    InJvmGridCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"raft", "grpc", "http"})
    void aFirstStartWhosePortIsTakenIsRetriedOnFreshPorts(String port) throws IOException {
        cluster = new InJvmGridCluster(dir, 1, 2, 20_000);
        String taken = address(port).apply(cluster.config(1));
        try (ServerSocket squatter = occupy(taken)) {
            cluster.start(1, true, "");
            cluster.awaitReady();
        }
        assertThat(address(port).apply(cluster.config(1))).isNotEqualTo(taken);
        assertThat(cluster.awaitLeader(0)).isEqualTo(1);
        assertThat(ExitUtils.isTerminated()).as("the handled Ratis terminate is cleared").isFalse();
    }

    @Test
    void aRestartWhoseRaftPortIsTakenFailsWithTheAddressAndTheNodeRestartsOnceItIsFree() throws IOException {
        cluster = new InJvmGridCluster(dir, 1, 2, 20_000);
        cluster.start(1, true, "");
        cluster.awaitReady();
        cluster.stop(1);
        String raft = cluster.config(1).raftAddress();
        try (ServerSocket squatter = occupy(raft)) {
            // Ratis's GrpcServicesImpl answers a failed bind with ExitUtils.terminate: here it throws.
            assertThatThrownBy(() -> cluster.restart(1)).isInstanceOfSatisfying(NodeStartException.class, e -> {
                assertThat(e.bindFailure()).as("bind failure: %s", e).isTrue();
                assertThat(InJvmGridCluster.causes(e, ExitUtils.ExitException.class)).isTrue();
            }).hasMessageContaining("raft " + raft);
        }
        assertThat(cluster.runningNodes()).isEmpty();
        assertThat(cluster.config(1).raftAddress()).as("a restart keeps its addresses").isEqualTo(raft);

        cluster.restart(1);
        cluster.awaitReady();
        assertThat(cluster.awaitLeader(0)).isEqualTo(1);
    }

    @Test
    void anUncaughtExceptionInAnotherThreadIsLeftToTheJvmsHandlerNotRatis() throws InterruptedException {
        cluster = new InJvmGridCluster(dir, 1, 2, 20_000);
        Thread.UncaughtExceptionHandler handler = Thread.getDefaultUncaughtExceptionHandler();
        assertThat(handler == null ? "none" : handler.getClass().getName()).doesNotStartWith("org.apache.ratis");
        Thread t = new Thread(() -> {
            throw new IllegalStateException("thrown on purpose by this test");
        }, "thrower");
        t.start();
        WorkerThreads.awaitEnd(t, Duration.ofSeconds(30));
        assertThat(ExitUtils.isTerminated()).isFalse();
    }

    private static Function<ServerConfig, String> address(String port) {
        return switch (port) {
            case "raft" -> ServerConfig::raftAddress;
            case "grpc" -> ServerConfig::grpcAddress;
            case "http" -> ServerConfig::httpAddress;
            default -> throw new IllegalArgumentException("no such port: " + port);
        };
    }

    private static ServerSocket occupy(String address) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(ServerConfig.host(address), ServerConfig.port(address)));
        return s;
    }
}
