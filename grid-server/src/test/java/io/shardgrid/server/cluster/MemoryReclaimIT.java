package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.server.GridNode;
import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.Eviction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory that stays inside its budget on real three-node clusters: expired entries are reclaimed
 * without being touched, and every replica of a partition ends up holding the same entries.
 */
class MemoryReclaimIT {
    private static final int PARTITIONS = 2;
    private static final long MEMORY = 4L << 20;

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    TestRoutingClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void startCluster(Eviction eviction) {
        // Small snapshot interval: snapshots are taken (and leave expired entries out) during the load.
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 500, Durability.ASYNC).withMemory(MEMORY, eviction);
        cluster.start();
        client = new TestRoutingClient(cluster.grpcAddresses());
    }

    @Test
    void aTtlLoadFarPastTheBudgetKeepsSucceedingAndLiveBytesFallBackAfterIt() throws Exception {
        startCluster(Eviction.NONE);
        for (int i = 0; i < 20; i++) {
            client.set("keep-" + i, "kept " + i, 0);
        }
        byte[] value = new byte[2000];
        int writes = 8_000; // about 16 MB of values through a 4 MiB budget
        AtomicLong exhausted = new AtomicLong();
        ExecutorService writers = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = writer; i < writes; i += 8) {
                        setOnce("session-" + i, value, 300, exhausted);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            writers.shutdownNow();
        }
        assertThat(exhausted.get()).as("writes refused for memory").isZero();

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (int n : cluster.runningNodes()) {
                assertThat(liveBytes(cluster.node(n))).as("live bytes on n%d", n).isLessThan(4096);
            }
        });
        for (int i = 0; i < 20; i++) {
            assertThat(client.get("keep-" + i)).contains("kept " + i);
        }
        awaitIdenticalReplicas();
        long expired = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            expired += cluster.node(cluster.awaitLeader(p)).raft().store(p).stats().expiredCount();
        }
        assertThat(expired).as("entries freed by expiry on the leaders").isGreaterThan(writes / 2);

        String metrics = scrape(cluster.config(1).httpAddress());
        assertThat(metrics).contains("shardgrid_store_expired_total{partition=\"0\"}",
            "shardgrid_store_evicted_total{partition=\"1\"} 0", "shardgrid_store_allocated_bytes{partition=\"0\"}",
            "shardgrid_store_fragmentation_ratio{partition=\"1\"}", "shardgrid_node_store_live_bytes ",
            "shardgrid_node_store_allocated_bytes ", "shardgrid_node_store_expired_total ");
        assertThat(metricValue(metrics, "shardgrid_node_store_expired_total")).isGreaterThan(writes / 2.0);
    }

    private static String scrape(String httpAddress) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        return http.send(HttpRequest.newBuilder(URI.create("http://" + httpAddress + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metricValue(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
            .findFirst().orElseThrow(() -> new AssertionError(name + " missing from /metrics"));
    }

    @Test
    void underLruWritesPastTheBudgetKeepSucceedingTheHotKeysStayAndReplicasEvictTheSameKeys() throws Exception {
        startCluster(Eviction.LRU);
        int hotKeys = 50;
        for (int i = 0; i < hotKeys; i++) {
            client.set("hot-" + i, "hot " + i, 0);
        }
        ZipfianKeys zipf = new ZipfianKeys(hotKeys, 0.99, 12);
        byte[] value = new byte[2000];
        int writes = 8_000; // about 16 MB without a TTL through a 4 MiB budget
        AtomicLong exhausted = new AtomicLong();
        AtomicLong hits = new AtomicLong();
        AtomicLong misses = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(9);
        try {
            // A cache-style reader: reads the hot keys, the most popular most often (Zipfian, as YCSB
            // does), and puts back what went missing.
            Future<?> reader = threads.submit(() -> {
                while (loading.get()) {
                    String key = "hot-" + zipf.next();
                    if (client.get(key).isPresent()) {
                        hits.incrementAndGet();
                    } else {
                        misses.incrementAndGet();
                        client.set(key, "hot again", 0);
                    }
                }
                return null;
            });
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                done.add(threads.submit(() -> {
                    for (int i = writer; i < writes; i += 8) {
                        setOnce("cold-" + i, value, 0, exhausted);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            loading.set(false);
            reader.get();
        } finally {
            threads.shutdownNow();
        }
        assertThat(exhausted.get()).as("writes refused for memory").isZero();
        long evicted = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            evicted += cluster.node(cluster.awaitLeader(p)).raft().store(p).stats().evictedCount();
        }
        assertThat(evicted).as("keys evicted by the leaders").isGreaterThan(writes / 4);
        double hitRate = (double) hits.get() / (hits.get() + misses.get());
        System.out.printf("LRU, %d Zipfian hot keys under %d cold writes through a %d MiB budget: hit rate %.4f"
            + " (%d hits, %d misses), %d keys evicted%n", hotKeys, writes, MEMORY >> 20, hitRate, hits.get(),
            misses.get(), evicted);
        assertThat(hits.get() + misses.get()).as("hot reads made during the load").isGreaterThan(1_000);
        assertThat(hitRate).as("hit rate of the hot reads (%d hits, %d misses)", hits.get(), misses.get())
            .isGreaterThan(0.90);
        for (int n : cluster.runningNodes()) {
            long used = cluster.node(n).raft().hostedPartitions().stream()
                .mapToLong(p -> cluster.node(n).raft().store(p).stats().allocatedBytes()).sum();
            // The leaders admit writes against their budget, a batch's writes together; what is in
            // flight and an index rebuild may overshoot it (docs/MEMORY.md). Before batches were
            // admitted as a whole, every write of a batch counted on the same free block: 6-7.5 MB here.
            assertThat(used).as("bytes allocated on n%d", n).isLessThanOrEqualTo(MEMORY + (1L << 20));
        }
        awaitIdenticalReplicas();
        for (int p = 0; p < PARTITIONS; p++) {
            System.out.printf("partition %d digest on every replica: %s%n", p,
                ReplicaContents.digest(cluster.node(cluster.awaitLeader(p)), p));
        }
    }

    /** One set through the partition leader, retried on leader changes, counted when refused for memory. */
    private void setOnce(String key, byte[] value, long ttlMs, AtomicLong exhausted) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        SetRequest request = SetRequest.newBuilder().setKey(ByteString.copyFrom(k))
            .setValue(ByteString.copyFrom(value)).setTtlMs(ttlMs).build();
        for (int attempt = 0; ; attempt++) {
            try {
                client.leaderStub(k).set(request);
                return;
            } catch (StatusRuntimeException e) {
                if (TestRoutingClient.codeOf(e) == GridErrorCode.RESOURCE_EXHAUSTED) {
                    exhausted.incrementAndGet();
                    return;
                }
                if (attempt == 20) {
                    throw e;
                }
                client.refreshMap();
            }
        }
    }

    private static long liveBytes(GridNode node) {
        long bytes = 0;
        for (int p : node.raft().hostedPartitions()) {
            bytes += node.raft().store(p).stats().liveBytes();
        }
        return bytes;
    }

    /**
     * Every replica of every partition holds exactly the entries its leader holds: the same digest
     * of every key, whole value and deadline (and, for a readable failure, the same entry list).
     */
    void awaitIdenticalReplicas() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (int p = 0; p < PARTITIONS; p++) {
                int leader = cluster.awaitLeader(p);
                Map<String, String> expected = ReplicaContents.of(cluster.node(leader), p);
                String expectedDigest = ReplicaContents.digest(cluster.node(leader), p);
                for (int n : cluster.runningNodes()) {
                    assertThat(ReplicaContents.of(cluster.node(n), p))
                        .as("partition %d on n%d against its leader n%d", p, n, leader).isEqualTo(expected);
                    assertThat(ReplicaContents.digest(cluster.node(n), p))
                        .as("digest of partition %d on n%d against its leader n%d", p, n, leader)
                        .isEqualTo(expectedDigest);
                }
            }
        });
    }

    /** Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1)^s, from a fixed seed. */
    static final class ZipfianKeys {
        private final double[] cumulative;
        private final java.util.Random random;

        ZipfianKeys(int n, double s, long seed) {
            cumulative = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += 1 / Math.pow(i + 1, s);
                cumulative[i] = sum;
            }
            for (int i = 0; i < n; i++) {
                cumulative[i] /= sum;
            }
            random = new java.util.Random(seed);
        }

        int next() {
            int found = java.util.Arrays.binarySearch(cumulative, random.nextDouble());
            return Math.min(found >= 0 ? found : -found - 1, cumulative.length - 1);
        }
    }
}
