package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.config.SplitSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placement driver splits on its own under steady smart-client load: a cluster bootstrapped
 * with 4 partitions and a target of 4 replicas per node grows 3 → 4 → 6 nodes, each join splits
 * the widest ranges until the cluster is back in the band (6, then 8 partitions), and one partition
 * written far above the hot threshold is split once more. No call fails, every acknowledged write
 * is readable afterwards, and the load's p99 is printed per phase. A partition read far above the
 * threshold, and one holding more than the size threshold, are split as well.
 */
class AutoSplitIT {
    private static final int TARGET_PER_NODE = 4;
    /**
     * Well above what the steady load's two closed-loop threads give one partition (they share at
     * most about a hundred writes/s here, among four or more), well below the hot writer's (32 writes in
     * flight: about 900 writes/s here).
     */
    private static final long HOT_WRITES_PER_SEC = 300;
    private static final PlacementSettings FAST = new PlacementSettings("", Duration.ofSeconds(4),
        Duration.ofMillis(300), 2, 4, new SplitSettings(TARGET_PER_NODE, HOT_WRITES_PER_SEC, Duration.ofSeconds(3)));

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    GridClient client;

    private void start(PlacementSettings placement) {
        cluster = new InJvmGridCluster(dir, 3, 4, 20_000).withPlacement(placement).start();
        client = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void joinsAndAHotPartitionSplitPartitionsUnderLoadWithoutAFailedCallOrALostWrite() throws Exception {
        start(FAST);
        SteadyLoad load = new SteadyLoad(client, 2, 2_000_000, 170, "3 nodes, 4 partitions");
        HotWriter hot = null;
        PartitionMap beforeHot;
        try {
            load.runFor(Duration.ofSeconds(3), 100);
            // 4 partitions x RF 3 on 3 nodes: 4 replicas per node, the target; nothing to split.
            assertThat(latestMap().partitionCount()).isEqualTo(4);

            load.phase("n4 joins, splits to 6");
            cluster.addNode();
            // 6 x 3 / 4 = 4.5 >= 4 (5 x 3 / 4 = 3.75 is not).
            awaitSettled(6, "n1", "n2", "n3", "n4");
            load.phase("4 nodes, 6 partitions");
            load.runFor(Duration.ofSeconds(3), 100);

            load.phase("n5 and n6 join, splits to 8");
            cluster.addNode();
            cluster.addNode();
            awaitSettled(8, "n1", "n2", "n3", "n4", "n5", "n6");
            load.phase("6 nodes, 8 partitions");
            load.runFor(Duration.ofSeconds(3), 100);

            load.phase("p1 hot, split");
            beforeHot = latestMap();
            // Widest first: the four splits of the joins halved every quarter, so all ranges are eighths.
            assertThat(beforeHot.partitions()).allSatisfy(a -> assertThat(a.range().bits()).isEqualTo(3));
            hot = new HotWriter(client, beforeHot, 1, 100_000, 32, 90);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> latestMap().partitionCount() == 9);
            hot.stop();
            awaitSettled(9, "n1", "n2", "n3", "n4", "n5", "n6");
            load.phase("6 nodes, 9 partitions");
            load.runFor(Duration.ofSeconds(3), 100);
        } finally {
            load.stop();
            if (hot != null) {
                hot.stop();
            }
            System.out.println("AutoSplitIT steady load (2 threads, half sets, half gets), per phase:\n" + load.report()
                + (hot == null ? "" : String.format("hot writer: %d writes to p1, %.0f writes/s%n",
                    hot.acknowledgedWrites(), hot.writesPerSec())));
        }
        assertThat(load.errors()).as("failed calls; %s", load.report()).isEmpty();
        assertThat(hot.errors()).as("failed hot writes").isEmpty();
        assertThat(load.acknowledgedWrites()).isGreaterThan(300);

        PartitionMap after = latestMap();
        HashRange hotRange = beforeHot.partition(1).range();
        assertThat(after.partition(1).range()).isEqualTo(hotRange.lower());
        assertThat(after.partition(8).range()).isEqualTo(hotRange.upper());
        assertThat(after.partitions().stream().filter(a -> a.partitionId() != 1 && a.partitionId() != 8))
            .allSatisfy(a -> assertThat(a.range()).isEqualTo(beforeHot.partition(a.partitionId()).range()));

        assertThat(load.missingAcknowledgedWrites()).as("acknowledged writes not readable").isEmpty();
        assertThat(hot.missingAcknowledgedWrites()).as("acknowledged hot writes not readable").isEmpty();
    }

    @Test
    void aPartitionHotWithReadsAndOneGrownBigAreSplitToo() throws Exception {
        long splitBytes = 1L << 20;
        start(FAST.withSplits(new SplitSettings(0, HOT_WRITES_PER_SEC, Duration.ofSeconds(3), splitBytes)));
        PartitionMap before = latestMap();

        // 1.5 MiB of values into p2 alone: over the size threshold, while no partition is hot.
        List<String> bigKeys = keysOf(before, 2, "big-", 96);
        byte[] value = new byte[16 * 1024];
        for (String key : bigKeys) {
            client.set(key.getBytes(StandardCharsets.UTF_8), value).get(30, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> latestMap().partitionCount() == 5 && latestMap().splitting().isEmpty());
        PartitionMap afterBig = latestMap();
        assertThat(afterBig.partition(2).range()).isEqualTo(before.partition(2).range().lower());
        assertThat(afterBig.partition(4).range()).isEqualTo(before.partition(2).range().upper());

        // Reads alone (linearizable, so each reaches p0's leader) far above the threshold make p0 hot.
        List<String> readKeys = keysOf(afterBig, 0, "read-", 64);
        for (String key : readKeys) {
            client.set(key, "r-" + key).get(30, TimeUnit.SECONDS);
        }
        List<Throwable> readErrors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int offset = t;
            Thread reader = new Thread(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                for (int i = offset; !stop.get() && System.nanoTime() < deadline; i++) {
                    String key = readKeys.get(i % readKeys.size());
                    try {
                        assertThat(client.get(key).get(30, TimeUnit.SECONDS)).contains("r-" + key);
                        reads.incrementAndGet();
                    } catch (Throwable e) {
                        readErrors.add(e);
                    }
                }
            }, "hot-reader-" + t);
            reader.setDaemon(true);
            reader.start();
            readers.add(reader);
        }
        long readStart = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> latestMap().partitionCount() == 6 && latestMap().splitting().isEmpty());
        } finally {
            stop.set(true);
            for (Thread reader : readers) {
                reader.join(TimeUnit.SECONDS.toMillis(35));
            }
        }
        System.out.printf("AutoSplitIT hot readers: %d reads, %.0f reads/s%n", reads.get(),
            reads.get() * 1e9 / (System.nanoTime() - readStart));
        assertThat(readErrors).as("failed reads").isEmpty();
        PartitionMap afterHot = latestMap();
        assertThat(afterHot.partition(0).range()).isEqualTo(afterBig.partition(0).range().lower());
        assertThat(afterHot.partition(5).range()).isEqualTo(afterBig.partition(0).range().upper());
        for (String key : bigKeys) {
            assertThat(client.get(key.getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS))
                .as(key).hasValueSatisfying(v -> assertThat(v).hasSize(value.length));
        }
    }

    /** {@code count} keys with {@code prefix} that {@code map} routes to {@code partition}. */
    private static List<String> keysOf(PartitionMap map, int partition, String prefix, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = prefix + i;
            if (map.partitionOf(key.getBytes(StandardCharsets.UTF_8)).partitionId() == partition) {
                keys.add(key);
            }
        }
        return keys;
    }

    @Test
    void rebalanceDryRunShowsTheSplitAJoinNeedsAndRebalanceRunsIt() {
        start(FAST.withSplits(new SplitSettings(TARGET_PER_NODE, 0, Duration.ofSeconds(3)))
            .withInterval(Duration.ZERO));
        cluster.addNode();
        await().atMost(Duration.ofSeconds(30)).until(() -> latestMap().nodes().size() == 4);
        // Automatic placement is off: the plan waits for an operator. 4 x 3 / 4 = 3 replicas per node < 4.
        String planned = admin("rebalance", "--dry-run");
        System.out.println("grid admin rebalance --dry-run after n4 joined:\n" + planned);
        assertThat(planned).containsPattern("planned \\d+ operators")
            .containsPattern("0\\s+split\\s+-\\s+-\\s+planned\\s+0\\s+band: 3.0 replicas/node < 4");
        assertThat(latestMap().partitionCount()).isEqualTo(4);

        assertThat(admin("rebalance")).contains("split");
        await().atMost(Duration.ofSeconds(60)).until(() -> latestMap().partitionCount() == 5
            && latestMap().splitting().isEmpty());
        // The widest range first: p0 (a quarter) is an eighth now, so p1 is next.
        assertThat(admin("rebalance", "--dry-run")).containsPattern("1\\s+split\\s.*band: 3.8 replicas/node < 4");
    }

    private String admin(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("admin"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--token", "test-token", "--seeds", String.join(",", cluster.grpcAddresses())));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.shardgrid.client.cli.GridCli.run(argv.toArray(String[]::new), new java.io.PrintWriter(out, true),
            new java.io.PrintWriter(err, true));
        assertThat(code).as("grid admin %s: %s", String.join(" ", args), err).isZero();
        return out.toString();
    }

    /**
     * Waits until the map has {@code partitions} partitions, none splitting or moving, each on 3
     * replicas, and the given nodes hold within one of an equal share of the replicas.
     */
    private void awaitSettled(int partitions, String... holders) {
        int low = partitions * 3 / holders.length;
        int high = (partitions * 3 + holders.length - 1) / holders.length;
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            PartitionMap map = latestMap();
            assertThat(map.partitionCount()).as("partitions").isEqualTo(partitions);
            assertThat(map.splitting()).as("splits in progress").isEmpty();
            Map<String, Integer> counts = new TreeMap<>();
            for (PartitionAssignment a : map.partitions()) {
                assertThat(a.replicas()).as("p%d", a.partitionId()).hasSize(3).doesNotHaveDuplicates();
                assertThat(a.learners()).as("p%d moving", a.partitionId()).isEmpty();
                a.replicas().forEach(n -> counts.merge(n, 1, Integer::sum));
            }
            assertThat(counts.keySet()).as("replicas per node %s", counts).containsExactlyInAnyOrder(holders);
            assertThat(counts.values()).as("replicas per node %s", counts)
                .allSatisfy(n -> assertThat(n).isBetween(low, high));
        });
    }

    private PartitionMap latestMap() {
        List<Integer> running = cluster.runningNodes();
        return running.stream().map(i -> cluster.node(i).raft().map())
            .max(java.util.Comparator.comparingLong(PartitionMap::epoch)).orElseThrow();
    }
}
