package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.SplitResponse;
import io.shardgrid.server.GridNode;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.PlacementSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online partition splits on a real three-node cluster under steady smart-client load: the split
 * partition and its child serve every acknowledged write from the group the map routes it to, no
 * call fails (the STALE_EPOCH answers for moved keys are retried by the client), every node ends
 * with the same map, a replica restarted after the splits recovers its child groups, and a split
 * whose runner vanished after recording it is finished by the placement driver.
 */
class SplitIT {
    private static final int PARTITIONS = 4;
    private static final int PRELOADED = 400;
    /** Short rounds so that the driver finishes abandoned splits without production timings. */
    private static final PlacementSettings FAST = new PlacementSettings("", Duration.ofSeconds(4),
        Duration.ofMillis(300), 2, 4);

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    GridClient client;
    GridAdminClient admin;

    @BeforeEach
    void setUp() {
        // Snapshots every 300 entries: parents and children also snapshot and purge their logs.
        cluster = new InJvmGridCluster(dir, 3, PARTITIONS, 300).withPlacement(FAST).start();
        client = GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(30)).build();
        admin = GridAdminClient.builder().seeds(cluster.grpcAddresses()).token("test-token")
            .timeout(Duration.ofSeconds(60)).build();
        for (int i = 0; i < PRELOADED; i++) {
            client.sync().set("pre-" + i, "v" + i, Duration.ZERO);
        }
    }

    @AfterEach
    void tearDown() {
        if (admin != null) {
            admin.close();
        }
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void splitsUnderLoadKeepEveryAcknowledgedWriteInTheRightGroupAndSurviveARestart() throws Exception {
        SteadyLoad load = new SteadyLoad(client, 4, 400_000, 240, "before the splits");
        SplitResponse first;
        SplitResponse second;
        SplitResponse third;
        try {
            steady(load);
            load.phase("split p1");
            first = admin.split(1);
            steady(load);
            load.phase("split p4, split off p1");
            second = admin.split(4);
            steady(load);
            load.phase("split p1 again");
            third = admin.split(1);
            steady(load);
            load.phase("n3 restarted");
            cluster.stop(3);
            cluster.restart(3);
            cluster.awaitReady();
            steady(load);
            load.phase("after");
            steady(load);
        } finally {
            load.stop();
        }
        System.out.println("SplitIT load, per phase:\n" + load.report());
        assertThat(load.errors()).as("failed calls; %s", load.report()).isEmpty();
        assertThat(load.acknowledgedWrites()).isGreaterThan(500);

        // p1 owned the second quarter of the hash space (2 bits, prefix 01).
        assertThat(first.getChildPartitionId()).isEqualTo(4);
        assertThat(range(first.getRange())).isEqualTo(new HashRange(3, 0b010));
        assertThat(range(first.getChildRange())).isEqualTo(new HashRange(3, 0b011));
        assertThat(second.getChildPartitionId()).isEqualTo(5);
        assertThat(range(second.getRange())).isEqualTo(new HashRange(4, 0b0110));
        assertThat(range(second.getChildRange())).isEqualTo(new HashRange(4, 0b0111));
        assertThat(third.getChildPartitionId()).isEqualTo(6);
        assertThat(range(third.getRange())).isEqualTo(new HashRange(4, 0b0100));
        assertThat(range(third.getChildRange())).isEqualTo(new HashRange(4, 0b0101));
        assertThat(third.getMapEpoch()).isGreaterThan(second.getMapEpoch());
        assertThat(second.getMapEpoch()).isGreaterThan(first.getMapEpoch());

        PartitionMap map = awaitSameMapEverywhere();
        assertThat(map.partitionCount()).isEqualTo(7);
        assertThat(map.splitting()).isEmpty();
        assertThat(map.partition(1).range()).isEqualTo(new HashRange(4, 0b0100));
        assertThat(map.partition(0).range()).isEqualTo(new HashRange(2, 0b00));

        List<String> keys = new ArrayList<>(load.acknowledgedKeys());
        IntStream.range(0, PRELOADED).forEach(i -> keys.add("pre-" + i));
        assertThat(load.missingAcknowledgedWrites()).isEmpty();
        for (int i = 0; i < PRELOADED; i++) {
            assertThat(client.sync().get("pre-" + i)).as("pre-" + i).contains("v" + i);
        }
        awaitEveryReplicaHoldsExactlyItsRange(map, keys);
    }

    @Test
    void aSplitWhoseRunnerVanishedAfterRecordingItIsFinishedByThePlacementDriver() {
        // Step 1 of a split alone, as if the node running it died right after: the map reserves
        // p4 for the upper half of p2, and nobody sends the split entry.
        GridNode anyNode = cluster.node(1);
        PartitionMap started = assertDoesNotThrow(() -> anyNode.membership().update(m -> m.withSplitStarted(2)));
        assertThat(started.partition(4).splitting()).isTrue();
        assertThat(started.partitionOf(started.partition(4).range().start()).partitionId()).isEqualTo(2);

        PartitionMap map = awaitSameMapEverywhere();
        assertThat(map.partition(2).range()).isEqualTo(new HashRange(3, 0b100));
        assertThat(map.partition(4).range()).isEqualTo(new HashRange(3, 0b101));
        for (int i = 0; i < PRELOADED; i++) {
            assertThat(client.sync().get("pre-" + i)).as("pre-" + i).contains("v" + i);
        }
        List<String> keys = new ArrayList<>();
        IntStream.range(0, PRELOADED).forEach(i -> keys.add("pre-" + i));
        awaitEveryReplicaHoldsExactlyItsRange(map, keys);

        // The same by hand, through the CLI; `grid map` shows the ranges.
        String seeds = String.join(",", cluster.grpcAddresses());
        assertThat(cli("admin", "split", "0", "--token", "test-token", "--seeds", seeds, "--timeout", "60s"))
            .startsWith("0:partition 0 split at map epoch").contains("p5 owns [2000000000000000, 3fffffffffffffff]");
        assertThat(cli("map", "--seeds", seeds)).contains("HASH-RANGE").contains("[0000000000000000, 1fffffffffffffff]");
        assertThat(cli("admin", "split", "9", "--token", "test-token", "--seeds", seeds))
            .doesNotStartWith("0:").contains("partition 9 does not exist");
        PartitionMap after = awaitSameMapEverywhere();
        assertThat(after.partitionCount()).isEqualTo(6);
        // `grid admin partitions` shows each partition's range beside its keys and bytes.
        String partitions = cli("admin", "partitions", "--token", "test-token", "--seeds", seeds);
        assertThat(partitions).startsWith("0:").contains("HASH-RANGE");
        for (PartitionAssignment a : after.partitions()) {
            String line = "(?m)^" + a.partitionId() + " +\\S+ +" + java.util.regex.Pattern.quote(a.range().toString());
            assertThat(partitions).as("p%d's line", a.partitionId()).containsPattern(line);
        }
        awaitEveryReplicaHoldsExactlyItsRange(after, keys);
    }

    private static String cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.shardgrid.client.cli.GridCli.run(args, new java.io.PrintWriter(out, true),
            new java.io.PrintWriter(err, true));
        return code + ":" + out.toString().trim() + err.toString().trim();
    }

    private static <T> T assertDoesNotThrow(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until every node holds the same map, with no split in progress, and returns it. */
    private PartitionMap awaitSameMapEverywhere() {
        PartitionMap[] latest = new PartitionMap[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            PartitionMap first = cluster.node(1).raft().map();
            assertThat(first.splitting()).as("splits in progress").isEmpty();
            for (int i : cluster.runningNodes()) {
                PartitionMap m = cluster.node(i).raft().map();
                assertThat(m.epoch()).as("n%d's map epoch", i).isEqualTo(first.epoch());
                assertThat(m.partitions()).as("n%d's partitions", i).isEqualTo(first.partitions());
            }
            latest[0] = first;
        });
        return latest[0];
    }

    /**
     * Every replica of every partition holds each of {@code keys} that the map routes to it, and no
     * key at all that the map routes elsewhere: no key is served by two groups.
     */
    private void awaitEveryReplicaHoldsExactlyItsRange(PartitionMap map, List<String> keys) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            for (int i : cluster.runningNodes()) {
                GridNode node = cluster.node(i);
                for (PartitionAssignment a : map.partitions()) {
                    if (!a.replicas().contains("n" + i)) {
                        continue;
                    }
                    Set<String> held = keysOf(node, a.partitionId());
                    for (String key : held) {
                        assertThat(map.partitionOf(key.getBytes(StandardCharsets.UTF_8)).partitionId())
                            .as("n%d's p%d holds %s", i, a.partitionId(), key).isEqualTo(a.partitionId());
                    }
                    for (String key : keys) {
                        if (map.partitionOf(key.getBytes(StandardCharsets.UTF_8)).partitionId() == a.partitionId()) {
                            assertThat(held).as("n%d's p%d", i, a.partitionId()).contains(key);
                        }
                    }
                }
            }
        });
    }

    private static Set<String> keysOf(GridNode node, int partition) {
        Set<String> keys = new HashSet<>();
        node.raft().store(partition).forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, exp) -> {
            byte[] key = new byte[keyLength];
            buffer.getBytes(keyOffset, key);
            keys.add(new String(key, StandardCharsets.UTF_8));
        });
        return keys;
    }

    private static HashRange range(io.shardgrid.proto.v1.HashRange r) {
        return new HashRange(r.getPrefixBits(), r.getPrefix());
    }

    /** Lets the load run a few seconds in the current layout. */
    private static void steady(SteadyLoad load) {
        int before = load.operations();
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(60))
            .until(() -> load.operations() > before + 200);
    }
}
