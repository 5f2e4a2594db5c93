package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.server.config.PlacementSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TTLs under clock faults: one node's wall clock ({@link SteppableClock} behind its {@code Clock}
 * port) is stepped forward or back while it leads the single partition of a real three-node cluster.
 *
 * <p>The documented bound (docs/MEMORY.md, "The apply clock"): a TTL runs on the partition clock,
 * the largest time any leader stamped. A leader ahead by D expires keys up to D early; a leader
 * behind expires nothing early; and no key the partition clock has seen expire is read as live
 * again, whichever node leads next. Leases are not affected: Ratis times them on the monotonic
 * clock, which the port does not move. Clock offsets are tens of seconds against TTLs of 10–60 s,
 * so no assertion depends on how fast the box runs.
 */
class ClockSkewIT {
    private static final int NODES = 3;
    private static final int P = 0;

    @TempDir
    Path dir;
    InJvmGridCluster cluster;
    TestRoutingClient stubs;
    final SteppableClock[] clocks = new SteppableClock[NODES + 1];

    @BeforeEach
    void startCluster() {
        // One partition, automatic placement off: leadership moves only when the test moves it.
        cluster = new InJvmGridCluster(dir, NODES, 1, 10_000)
            .withPlacement(new PlacementSettings("", Duration.ofSeconds(30), Duration.ZERO, 1, 4));
        for (int i = 1; i <= NODES; i++) {
            clocks[i] = new SteppableClock();
            cluster.withClock(i, clocks[i]);
        }
        cluster.start();
        stubs = new TestRoutingClient(cluster.grpcAddresses());
    }

    @AfterEach
    void stopCluster() {
        if (stubs != null) {
            stubs.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aLeaderWhoseClockSteppedBackNeitherExpiresNewKeysAtOnceNorRevivesExpiredOnes() {
        int leader = cluster.awaitLeader(P);
        set(leader, "short", "s", 1_000);
        assertThat(increment(leader, "counter", 5, 60_000)).isEqualTo(5);
        await().atMost(Duration.ofSeconds(20)).until(() -> get(leader, "short").isEmpty());
        // A write after the deadline: the partition clock has now seen "short" expire.
        assertThat(increment(leader, "counter", 1, 0)).isEqualTo(6);

        clocks[leader].setOffsetMs(-120_000);

        assertThat(get(leader, "short")).as("a key that expired before the step back").isEmpty();
        assertThat(increment(leader, "counter", 1, 0)).as("a key written before the step back").isEqualTo(7);
        // Stamped at the lagging clock, this TTL would end 60 s before the partition clock: the key
        // would be dead on arrival and the next increment would start again from 0.
        assertThat(increment(leader, "fresh", 5, 60_000)).isEqualTo(5);
        assertThat(increment(leader, "fresh", 1, 60_000)).as("a TTL written after the step back").isEqualTo(6);
        assertThat(get(leader, "fresh")).as("read back").isPresent();
        awaitIdenticalReplicas();
    }

    @Test
    void aClockThatJumpedAheadExpiresKeysEarlyByAtMostTheJumpAndNothingComesBack() throws Exception {
        int leader = cluster.awaitLeader(P);
        set(leader, "session", "v", 30_000);

        clocks[leader].setOffsetMs(20_000);
        assertThat(get(leader, "session")).as("20 s ahead of a 30 s TTL: still live").contains("v");
        clocks[leader].setOffsetMs(60_000);
        assertThat(get(leader, "session")).as("60 s ahead: expired early, by no more than the jump").isEmpty();
        set(leader, "marker", "m", 0); // stamped 60 s ahead: the partition clock moves there for good

        clocks[leader].setOffsetMs(0);
        assertThat(get(leader, "session")).as("the same leader after its clock came back").isEmpty();

        int other = leader % NODES + 1;
        cluster.node(other).membership().transferLeadership(P, cluster.config(other).nodeId());
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(other).raft().isLeader(P));
        assertThat(get(other, "session")).as("a new leader whose clock never moved").isEmpty();
        // Its own clock is 60 s behind the partition clock: a TTL stamped at it would be over on arrival.
        assertThat(increment(other, "late", 1, 10_000)).isEqualTo(1);
        assertThat(increment(other, "late", 1, 10_000)).as("a TTL written behind the partition clock")
            .isEqualTo(2);
        awaitIdenticalReplicas();
    }

    private String address(int node) {
        return cluster.config(node).grpcAddress();
    }

    /** Sent to one node, not retried: a write the test counts on must be applied exactly once. */
    private void set(int node, String key, String value, long ttlMs) {
        stubs.stubAt(address(node)).set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
            .setValue(ByteString.copyFromUtf8(value)).setTtlMs(ttlMs).build());
    }

    private long increment(int node, String key, long delta, long ttlMs) {
        return stubs.stubAt(address(node)).increment(IncrementRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8(key)).setDelta(delta).setTtlMs(ttlMs).build()).getValue();
    }

    /** A linearizable read at {@code node}, which must lead the partition. */
    private Optional<String> get(int node, String key) {
        GetResponse r = stubs.stubAt(address(node)).get(GetRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8(key)).build());
        return r.getFound() ? Optional.of(r.getValue().toStringUtf8()) : Optional.empty();
    }

    private void awaitIdenticalReplicas() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, String> first = ReplicaContents.of(cluster.node(1), P);
            for (int i = 2; i <= NODES; i++) {
                assertThat(ReplicaContents.of(cluster.node(i), P)).as("n%d against n1", i).isEqualTo(first);
            }
        });
    }
}
