package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.shardgrid.client.cli.GridCli;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.cluster.WorkerThreads;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smart client against real in-JVM clusters: routing, retries, pipelining, the CLI. */
class GridClientIT {
    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    GridClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void start(int nodes) {
        cluster = new InJvmGridCluster(dir, nodes, 8, 20_000).start();
        client = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(20)).build();
        await().atMost(Duration.ofSeconds(20)).until(() -> client.partitionMap().nodes().size() == nodes);
    }

    @Test
    void everyOperationWorksThroughTheClient() {
        start(3);
        SyncGridClient sync = client.sync();
        sync.set("a", "1", Duration.ZERO);
        assertThat(sync.get("a")).contains("1");
        assertThat(sync.get("missing")).isEmpty();
        assertThat(sync.increment("n", 5)).isEqualTo(5);
        assertThat(sync.increment("n", -2)).isEqualTo(3);
        byte[] k = "cas".getBytes(StandardCharsets.UTF_8);
        assertThat(sync.compareAndSet(k, null, "x".getBytes(), Duration.ZERO)).isTrue();
        assertThat(sync.compareAndSet(k, "y".getBytes(), "z".getBytes(), Duration.ZERO)).isFalse();
        assertThat(sync.delete("a")).isTrue();
        assertThat(sync.delete("a")).isFalse();
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sync.set("many-" + i, "v" + i, Duration.ZERO);
            keys.add(("many-" + i).getBytes(StandardCharsets.UTF_8));
        }
        keys.add("absent".getBytes(StandardCharsets.UTF_8));
        List<Optional<byte[]>> values = client.getAll(keys).join();
        for (int i = 0; i < 50; i++) {
            assertThat(new String(values.get(i).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
        }
        assertThat(values.get(50)).isEmpty();
        assertThatThrownBy(() -> sync.set("", "v", Duration.ZERO)).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> sync.set("big", "x".repeat(1024 * 1024 + 1), Duration.ZERO))
            .hasMessageContaining("value length 1048577 exceeds limit 1048576");
        assertThatThrownBy(() -> sync.set("t", "v", Duration.ofSeconds(-1))).hasMessageContaining("must not be negative");
        assertThat(sync.increment("n", 0)).isEqualTo(3);
        assertThatThrownBy(() -> sync.increment("many-1", 1)).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.WRONG_TYPE));

        client.setAll(Map.of("all-1", "a".getBytes(StandardCharsets.UTF_8), "all-2", "b".getBytes(StandardCharsets.UTF_8)),
            Duration.ZERO).join();
        assertThat(sync.get("all-1")).contains("a");
        assertThat(sync.get("all-2")).contains("b");

        // Bulk calls far larger than the per-node in-flight limit are paced, not refused.
        try (GridClient narrow = GridClient.builder().seeds(cluster.grpcAddresses()).pipelining(64, 1 << 20, 32)
                .timeout(Duration.ofSeconds(20)).build()) {
            Map<String, byte[]> bulk = new java.util.HashMap<>();
            for (int i = 0; i < 3_000; i++) {
                bulk.put("bulk-" + i, ("b" + i).getBytes(StandardCharsets.UTF_8));
            }
            narrow.setAll(bulk, Duration.ZERO).join();
            List<byte[]> bulkKeys = new ArrayList<>();
            for (int i = 0; i < 3_000; i++) {
                bulkKeys.add(("bulk-" + i).getBytes(StandardCharsets.UTF_8));
            }
            List<Optional<byte[]>> bulkValues = narrow.getAll(bulkKeys).join();
            for (int i = 0; i < 3_000; i++) {
                assertThat(bulkValues.get(i).map(v -> new String(v, StandardCharsets.UTF_8))).contains("b" + i);
            }
        }

        // Every completion passes through the caller's executor when one is given.
        ExecutorService callbacks = Executors.newSingleThreadExecutor();
        AtomicInteger handedOver = new AtomicInteger();
        try (GridClient ownThreads = GridClient.builder().seeds(cluster.grpcAddresses())
                .callbackExecutor(r -> {
                    handedOver.incrementAndGet();
                    callbacks.execute(r);
                }).build()) {
            assertThat(ownThreads.get("all-1").join()).contains("a");
            ownThreads.set("all-3", "c").join();
            assertThatThrownBy(() -> ownThreads.increment("all-1", 1).join()).hasCauseInstanceOf(GridException.class);
            assertThat(handedOver.get()).isEqualTo(3);
        } finally {
            callbacks.shutdownNow();
        }
    }

    @Test
    void concurrentCallsAreCoalescedIntoFewBatchMessages() {
        start(3);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            writes.add(client.set("burst-" + i, "v" + i));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
        assertThat(client.batchMessagesSent()).isLessThan(1500);
        for (int i = 0; i < 3000; i += 97) {
            assertThat(client.sync().get("burst-" + i)).contains("v" + i);
        }
    }

    @Test
    void leaderTransfersAndALeaderKillDuringLoadSurfaceNoErrorAndLoseNoAcknowledgedWrite() throws Exception {
        start(3);
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sequence = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            Thread t = new Thread(() -> {
                while (!stop.get() && sequence.get() < 20_000) {
                    int i = sequence.incrementAndGet();
                    // Every write has its own key, so each acknowledged one must be readable as written.
                    String key = "load-" + i;
                    String value = "v" + i;
                    try {
                        if (i % 3 == 0) {
                            client.get("load-" + (i / 2)).join();
                        } else {
                            client.set(key, value).join();
                            acknowledged.put(key, value);
                        }
                    } catch (RuntimeException e) {
                        errors.add(e);
                    }
                }
            }, "load-" + w);
            t.start();
            workers.add(t);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() > 100);
        // Move leadership of two partitions around, then kill the node leading partition 0.
        for (int p = 0; p < 2; p++) {
            int partition = p;
            // A transfer can lose a race with an election; try again until one lands.
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                int leader = cluster.awaitLeader(partition);
                cluster.node(leader).membership().transferLeadership(partition, "n" + (leader % 3 + 1));
                return true;
            });
        }
        int victim = cluster.awaitLeader(0);
        int before = sequence.get();
        cluster.stop(victim);
        await().atMost(Duration.ofSeconds(60)).until(() -> sequence.get() > before + 500);
        stop.set(true);
        for (Thread t : workers) {
            WorkerThreads.awaitEnd(t, Duration.ofSeconds(30));
        }
        assertThat(errors).isEmpty();
        List<byte[]> keys = acknowledged.keySet().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        List<Optional<byte[]>> values = client.getAll(keys).join();
        int i = 0;
        for (String key : acknowledged.keySet()) {
            assertThat(values.get(i++).map(v -> new String(v, StandardCharsets.UTF_8))).as(key)
                .contains(acknowledged.get(key));
        }
    }

    @Test
    void aMapEpochChangeIsPickedUpWithoutAFailedCall() throws Exception {
        cluster = new InJvmGridCluster(dir, 4, 8, 20_000);
        cluster.start(1, true, "");
        cluster.start(2, false, cluster.config(1).httpAddress());
        cluster.start(3, false, cluster.config(1).httpAddress());
        cluster.awaitReady();
        client = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(20)).build();
        long epoch = client.partitionMap().epoch();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            for (int i = 0; i < 50_000 && !stop.get(); i++) {
                try {
                    client.set("epoch-" + (i % 100), "v" + i).join();
                } catch (RuntimeException e) {
                    errors.add(e);
                }
            }
        });
        load.start();
        cluster.start(4, false, cluster.config(2).httpAddress());
        await().atMost(Duration.ofSeconds(30)).until(() -> client.partitionMap().epoch() > epoch
            && client.partitionMap().nodes().containsKey("n4"));
        stop.set(true);
        WorkerThreads.awaitEnd(load, Duration.ofSeconds(30));
        assertThat(errors).isEmpty();
    }

    @Test
    void theCliGetsSetsDeletesAndPrintsTheMap() {
        start(3);
        String seeds = String.join(",", cluster.grpcAddresses());
        assertThat(cli("set", "--seeds", seeds, "greeting", "hello", "--ttl", "1h")).startsWith("0:ok");
        assertThat(cli("get", "--seeds", seeds, "greeting")).isEqualTo("0:hello");
        assertThat(cli("del", "--seeds", seeds, "greeting")).isEqualTo("0:deleted");
        assertThat(cli("get", "--seeds", seeds, "greeting")).startsWith("1:");
        assertThat(cli("set", "--seeds", seeds, "k", "v", "--ttl", "soon")).startsWith("2:");
        String map = cli("map", "--seeds", seeds);
        assertThat(map).startsWith("0:map epoch").contains("PARTITION").contains("n1").contains("n3");
    }

    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GridCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return code + ":" + out.toString().trim() + err.toString().trim();
    }
}
