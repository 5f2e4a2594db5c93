package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --join ADDR}: a node asks its seed's HTTP address, waiting while nothing listens there yet
 * (the seed still starting), or its gRPC address, which the HTTP try finds is not HTTP.
 */
class JoinAddressIT {
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
    void aJoinerWaitsForItsSeedToListenAndAnotherJoinsThroughTheSeedsGrpcAddress() throws Exception {
        cluster = new InJvmGridCluster(dir, 3, 4, 20_000);
        ExecutorService early = Executors.newSingleThreadExecutor();
        try {
            // n3 starts first: its join finds nothing at n1's HTTP address and tries again.
            CompletableFuture<?> third = CompletableFuture.runAsync(
                () -> cluster.start(3, false, cluster.config(1).httpAddress()), early);
            Thread.sleep(1_500);
            assertThat(third).isNotDone();
            cluster.start(1, true, "");
            cluster.start(2, false, cluster.config(1).grpcAddress());
            third.get(60, TimeUnit.SECONDS);
        } finally {
            early.shutdownNow();
        }
        cluster.awaitReady();
        assertThat(cluster.node(1).raft().map().nodes()).containsOnlyKeys("n1", "n2", "n3");
    }
}
