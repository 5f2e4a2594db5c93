package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.consensus.codec.LogEntryEncoder;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The apply clock and what a partition snapshot keeps, on a state machine fed entries directly. */
class PartitionStateMachineSnapshotTest {
    private static final long T0 = 1_700_000_000_000L;
    private final MemoryBudget budget = new MemoryBudget(64L << 20);
    private final List<OffHeapPartitionStore> stores = new ArrayList<>();
    private long index;

    @AfterEach
    void close() {
        stores.forEach(OffHeapPartitionStore::close);
    }

    @Test
    void aSnapshotLeavesOutEntriesExpiredAtTheApplyClockAndCarriesTheClock() throws IOException {
        PartitionStateMachine leader = machine();
        apply(leader, T0, "dies", 100, "lives", 0);
        apply(leader, T0 + 500, "later", 1_000);
        ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
        leader.writeState(snapshot);

        PartitionStateMachine installed = machine();
        installed.readState(new ByteArrayInputStream(snapshot.toByteArray()));

        assertThat(installed.applyClockMs()).isEqualTo(T0 + 500);
        assertThat(keys(installed.store())).containsExactlyInAnyOrder("lives", "later");
        assertThat(keys(leader.store())).as("the leader still holds the unswept entry")
            .containsExactlyInAnyOrder("dies", "lives", "later");
    }

    @Test
    void theApplyClockNeverGoesBackSoAnEarlierStampedEntryCannotReviveAKey() throws IOException {
        PartitionStateMachine replica = machine();
        apply(replica, T0, "k", 100);
        apply(replica, T0 + 200, "other", 0);
        // A new leader whose clock is 150 ms behind stamps the next entry before k's deadline.
        apply(replica, T0 + 50, "third", 0);

        assertThat(replica.applyClockMs()).isEqualTo(T0 + 200);
        UnsafeBuffer k = bytes("k");
        assertThat(replica.store().expire(k, 0, k.capacity(), replica.applyClockMs())).isTrue();
    }

    @Test
    void aSnapshotWrittenBeforeTheHeaderExistedStillLoadsWithEveryEntry() throws IOException {
        PartitionStateMachine old = machine();
        apply(old, T0, "dies", 100, "lives", 0);
        ByteArrayOutputStream legacy = new ByteArrayOutputStream();
        old.store().writeSnapshot(legacy, 0);

        PartitionStateMachine installed = machine();
        installed.readState(new ByteArrayInputStream(legacy.toByteArray()));

        assertThat(installed.applyClockMs()).isZero();
        assertThat(keys(installed.store())).containsExactlyInAnyOrder("dies", "lives");
    }

    @Test
    void aMalformedEntryAlreadyInTheLogIsSkippedAndTheNextOneApplies() {
        PartitionStateMachine replica = machine();
        apply(replica, T0, "before", 0);
        // A log written before entries were checked on the way in: applying it used to throw on the
        // apply thread, which makes Ratis close the whole group.
        applyRaw(replica, "not an entry".getBytes(StandardCharsets.US_ASCII));
        assertThat(replica.getLastAppliedTermIndex().getIndex()).as("applied index after the bad entry")
            .isEqualTo(index);
        apply(replica, T0 + 10, "after", 0);

        assertThat(keys(replica.store())).containsExactlyInAnyOrder("before", "after");
        assertThat(replica.getLastAppliedTermIndex().getIndex()).isEqualTo(index);
    }

    private PartitionStateMachine machine() {
        OffHeapPartitionStore store = new OffHeapPartitionStore(0, budget);
        stores.add(store);
        return new PartitionStateMachine(0, store, new KeyChangeFanout());
    }

    /** Applies one entry stamped {@code leaderTimeMs} setting each (key, ttl) pair as a follower would. */
    private void apply(PartitionStateMachine machine, long leaderTimeMs, Object... keysAndTtls) {
        ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, 0).reset(leaderTimeMs);
        for (int i = 0; i < keysAndTtls.length; i += 2) {
            UnsafeBuffer key = bytes((String) keysAndTtls[i]);
            encoder.appendSet(key, 0, key.capacity(), key, 0, key.capacity(), ((Number) keysAndTtls[i + 1]).longValue());
        }
        applyRaw(machine, java.util.Arrays.copyOf(buffer.byteArray(), encoder.encodedLength()));
    }

    /** Applies {@code data} as the next log entry, as a follower would. */
    private void applyRaw(PartitionStateMachine machine, byte[] data) {
        LogEntryProto log = LogEntryProto.newBuilder().setTerm(1).setIndex(++index)
            .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(data)))
            .build();
        TransactionContext trx = TransactionContext.newBuilder().setStateMachine(machine)
            .setServerRole(RaftPeerRole.FOLLOWER).setLogEntry(log).build();
        machine.applyTransaction(trx).join();
    }

    private static List<String> keys(PartitionStore store) {
        List<String> keys = new ArrayList<>();
        store.forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) ->
            keys.add(buffer.getStringWithoutLengthUtf8(keyOffset, keyLength)));
        return keys;
    }

    private static UnsafeBuffer bytes(String text) {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
    }
}
