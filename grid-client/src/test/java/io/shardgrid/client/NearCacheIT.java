package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.cluster.WorkerThreads;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The near cache against a real 3-node cluster: pushed invalidations, own writes, leader moves, lost streams. */
class NearCacheIT {
    /** How soon another client's write must reach the cache: far below the max age, with margin. */
    private static final Duration INVALIDATION_BOUND = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    GridClient cached;
    GridClient writer;

    @BeforeEach
    void setUp() {
        cluster = new InJvmGridCluster(dir, 3, 8, 20_000).start();
        writer = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(20)).build();
        await().atMost(Duration.ofSeconds(20)).until(() -> writer.partitionMap().nodes().size() == 3);
        cached = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(20))
            .nearCache(10_000, Duration.ofMinutes(5)).build();
    }

    @AfterEach
    void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {cached, writer, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }

    @Test
    void anotherClientsWriteReachesTheNearCacheWithinOneSecond() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            keys.add("hot-" + i);
            writer.sync().set("hot-" + i, "old", Duration.ZERO);
        }
        for (String key : keys) {
            awaitServedLocally(key, "old");
        }
        long hitsBefore = cached.nearCacheStats().hits();
        assertThat(cached.sync().get(keys.get(0))).contains("old");
        assertThat(cached.nearCacheStats().hits()).isGreaterThan(hitsBefore);

        for (String key : keys) {
            writer.sync().set(key, "new", Duration.ZERO);
        }
        // Measured from the last acknowledged write: every key must be invalidated well before the
        // 5-minute max age (a push takes milliseconds; 5 s is the margin for a loaded 2-core box).
        await().atMost(INVALIDATION_BOUND).pollInterval(Duration.ofMillis(10))
            .until(() -> keys.stream().allMatch(k -> cached.sync().get(k).equals(Optional.of("new"))));
        for (String key : keys) {
            awaitServedLocally(key, "new");
        }
    }

    @Test
    void aClientAlwaysReadsItsOwnCompletedWrites() throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        String key = "own-" + thread + "-" + (i % 5);
                        cached.sync().set(key, "v" + i, Duration.ZERO);
                        for (int read = 0; read < 3; read++) {
                            assertThat(cached.sync().get(key)).as(key).contains("v" + i);
                        }
                        // Another client's write to the same key, then ours again: never the older value.
                        writer.sync().set(key, "theirs" + i, Duration.ZERO);
                        cached.sync().set(key, "w" + i, Duration.ZERO);
                        assertThat(cached.sync().get(key)).as(key).contains("w" + i);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            WorkerThreads.awaitEnd(t, Duration.ofSeconds(120));
        }
        assertThat(failures).isEmpty();
        assertThat(cached.nearCacheStats().hits()).as("repeated reads are served locally").isPositive();
    }

    @Test
    void aNewLeaderDropsThePartitionAndItsInvalidationsStillArrive() throws Exception {
        String key = "moving";
        writer.sync().set(key, "before", Duration.ZERO);
        awaitServedLocally(key, "before");
        int partition = cached.partitionMap().partitioner().partitionOf(key.getBytes(StandardCharsets.UTF_8));
        long dropsBefore = cached.nearCacheStats().partitionDrops();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            int leader = cluster.awaitLeader(partition);
            cluster.node(leader).membership().transferLeadership(partition, "n" + (leader % 3 + 1));
            return true;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> cached.nearCacheStats().partitionDrops() > dropsBefore);

        awaitServedLocally(key, "before");
        writer.sync().set(key, "after", Duration.ZERO);
        await().atMost(INVALIDATION_BOUND).pollInterval(Duration.ofMillis(10))
            .until(() -> cached.sync().get(key).equals(Optional.of("after")));
    }

    @Test
    void aPartitionWithAnUnreachableReplicaIsNotServedFromTheCache() {
        String key = "guarded";
        writer.sync().set(key, "v1", Duration.ZERO);
        awaitServedLocally(key, "v1");
        int partition = cached.partitionMap().partitioner().partitionOf(key.getBytes(StandardCharsets.UTF_8));
        int follower = (cluster.awaitLeader(partition) % 3) + 1;
        cluster.stop(follower);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            long misses = cached.nearCacheStats().misses();
            cached.sync().get(key);
            return cached.nearCacheStats().misses() > misses;
        });
        // With a replica's stream down, every read of the partition goes to the server.
        for (int i = 0; i < 20; i++) {
            long hits = cached.nearCacheStats().hits();
            assertThat(cached.sync().get(key)).contains("v1");
            assertThat(cached.nearCacheStats().hits()).isEqualTo(hits);
        }
    }

    /** Reads until {@code key} is answered locally with {@code expected}. */
    private void awaitServedLocally(String key, String expected) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            long hits = cached.nearCacheStats().hits();
            Optional<String> value = cached.sync().get(key);
            assertThat(value).as(key).contains(expected);
            return cached.nearCacheStats().hits() > hits;
        });
    }
}
