package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.GridNode;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.ratis.client.RaftClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A split left after its split index, before the map recorded it (as when its runner dies there),
 * on three real nodes: the parent refuses the moved half at once, a repeated split entry changes
 * nothing, the placement driver records the split, every replica holds exactly its half, and a
 * restarted replica recovers both groups.
 */
class SplitRecoveryIT {
    /**
     * Rounds every 2 s: the driver finishes a split it has seen started for a whole round, so the
     * test's own two split entries (sent within milliseconds) always come first.
     */
    private static final PlacementSettings ROUNDS = new PlacementSettings("", Duration.ofSeconds(4),
        Duration.ofSeconds(2), 2, 4);
    private static final int KEYS_PER_HALF = 150;

    @TempDir
    Path dir;

    @Test
    void aSplitWhoseMapUpdateNeverCameIsFinishedAndTheParentRefusesTheMovedHalfMeanwhile() throws Exception {
        try (InJvmGridCluster cluster = new InJvmGridCluster(dir, 3, 2, 20_000).withPlacement(ROUNDS).start()) {
            HashRange parentRange = cluster.node(1).raft().map().partition(1).range();
            Set<String> lower = new HashSet<>();
            Set<String> upper = new HashSet<>();
            for (int i = 0; lower.size() < KEYS_PER_HALF || upper.size() < KEYS_PER_HALF; i++) {
                String key = "key-" + i;
                long hash = Partitioner.hash(bytes(key));
                if (parentRange.upper().contains(hash) && upper.size() < KEYS_PER_HALF) {
                    upper.add(key);
                } else if (parentRange.lower().contains(hash) && lower.size() < KEYS_PER_HALF) {
                    lower.add(key);
                }
            }
            List<WriteCommand> writes = new ArrayList<>();
            lower.forEach(k -> writes.add(WriteCommand.set(bytes(k), bytes("v-" + k), 0)));
            upper.forEach(k -> writes.add(WriteCommand.set(bytes(k), bytes("v-" + k), 0)));
            RatisNode leader = cluster.node(cluster.awaitLeader(1)).raft();
            for (var result : leader.write(1, writes)) {
                assertThat(result.join().status()).isEqualTo(PartitionStore.OK);
            }

            // Steps 1 and 2 of a split, by hand: the map reserves the child, the parent's log splits.
            Membership membership = cluster.node(1).membership();
            PartitionMap started = membership.update(m -> m.withSplitStarted(1));
            int child = started.splittingChildOf(1).orElseThrow().partitionId();
            assertThat(child).isEqualTo(2);
            SplitEntry split = new SplitEntry(parentRange, child);
            assertThat(sendToParent(membership, started, split)).isEqualTo(SplitEntry.Outcome.SPLIT);
            // Sent again, as the placement driver does when it finishes a split: nothing changes.
            assertThat(sendToParent(membership, started, split)).isEqualTo(SplitEntry.Outcome.ALREADY_SPLIT);

            // Whatever map a caller routed by, the parent no longer takes the moved half.
            RatisNode parentLeader = cluster.node(cluster.awaitLeader(1)).raft();
            String movedKey = upper.iterator().next();
            WriteResult refused = parentLeader.write(1, List.of(WriteCommand.set(bytes(movedKey), bytes("late"), 0)))
                .get(0).join();
            assertThat(refused.status()).isEqualTo(PartitionStore.MOVED);
            assertThat(parentLeader.owns(1, bytes(movedKey))).isFalse();
            assertThat(parentLeader.owns(1, bytes(lower.iterator().next()))).isTrue();

            // The meta leader's placement rounds record the split (step 3) on every node.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                for (int i : cluster.runningNodes()) {
                    PartitionMap map = cluster.node(i).raft().map();
                    assertThat(map.splitting()).as("n%d's splits in progress", i).isEmpty();
                    assertThat(map.partition(1).range()).isEqualTo(parentRange.lower());
                    assertThat(map.partition(child).range()).isEqualTo(parentRange.upper());
                }
            });
            awaitHalves(cluster, child, lower, upper);

            cluster.stop(2);
            cluster.restart(2);
            cluster.awaitReady();
            awaitHalves(cluster, child, lower, upper);
            assertThat(cluster.node(2).raft().owns(1, bytes(movedKey))).isFalse();
        }
    }

    private static SplitEntry.Outcome sendToParent(Membership membership, PartitionMap map, SplitEntry split)
            throws Exception {
        try (RaftClient client = membership.client(GroupIds.partition(1),
                RaftClients.peers(map, map.partition(1).replicas()))) {
            var reply = client.io().send(split.toMessage());
            assertThat(reply.isSuccess()).as("reply %s", reply).isTrue();
            return SplitEntry.outcomeOf(reply.getMessage());
        }
    }

    /** Every node's parent replica holds exactly the lower keys, its child replica exactly the upper ones. */
    private static void awaitHalves(InJvmGridCluster cluster, int child, Set<String> lower, Set<String> upper) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i : cluster.runningNodes()) {
                GridNode node = cluster.node(i);
                assertThat(node.raft().hosts(child)).as("n%d hosts p%d", i, child).isTrue();
                assertThat(keysOf(node, 1)).as("n%d's p1", i).isEqualTo(lower);
                assertThat(keysOf(node, child)).as("n%d's p%d", i, child).isEqualTo(upper);
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
