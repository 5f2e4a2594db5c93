package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.consensus.codec.LogEntryEncoder;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A split entry applied to partition state machines fed entries directly, with a node that adds
 * child groups in memory: what the child starts from, what the parent keeps, and a replay.
 */
class PartitionSplitApplyTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int KEYS = 200;

    @TempDir
    Path dir;
    private final MemoryBudget budget = new MemoryBudget(64L << 20);
    private final List<OffHeapPartitionStore> stores = new ArrayList<>();
    private final InMemoryNode node = new InMemoryNode();
    private long index;

    @AfterEach
    void close() {
        stores.forEach(OffHeapPartitionStore::close);
    }

    @Test
    void theChildStartsFromTheUpperHalfAtTheSplitIndexAndTheParentKeepsTheLowerHalf() throws IOException {
        PartitionStateMachine parent = machine(0);
        Set<String> all = new HashSet<>();
        for (int i = 0; i < KEYS; i++) {
            all.add("k" + i);
            apply(parent, T0 + i, "k" + i);
        }
        HashRange whole = HashRange.ALL; // the only partition

        assertThat(applySplit(parent, new SplitEntry(whole, 2))).isEqualTo(SplitEntry.Outcome.SPLIT);

        PartitionStateMachine child = node.groups.get(2);
        assertThat(child).as("the child's group was added on this node").isNotNull();
        assertThat(Files.exists(node.seedFile(2))).as("the seed is gone once the child holds it").isFalse();
        Set<String> lower = keys(parent.store());
        Set<String> upper = keys(child.store());
        assertThat(lower).isNotEmpty().allSatisfy(k -> assertThat(whole.lower().contains(hash(k))).isTrue());
        assertThat(upper).isNotEmpty().allSatisfy(k -> assertThat(whole.upper().contains(hash(k))).isTrue());
        Set<String> union = new HashSet<>(lower);
        union.addAll(upper);
        assertThat(union).isEqualTo(all);
        assertThat(parent.range()).isEqualTo(whole.lower());
        assertThat(child.range()).isEqualTo(whole.upper());
        assertThat(child.applyClockMs()).isEqualTo(T0 + KEYS - 1);

        // A write routed by an older map: the moved key is refused, the kept one applied.
        String movedKey = upper.iterator().next();
        String keptKey = "new-0";
        for (int i = 1; !whole.lower().contains(hash(keptKey)); i++) {
            keptKey = "new-" + i;
        }
        apply(parent, T0 + KEYS, movedKey, keptKey);
        assertThat(keys(parent.store())).doesNotContain(movedKey).contains(keptKey);
        assertThat(parent.ownsHash(hash(movedKey))).isFalse();

        // The same split again (a resumed split): nothing changes. Another range: refused.
        assertThat(applySplit(parent, new SplitEntry(whole, 2))).isEqualTo(SplitEntry.Outcome.ALREADY_SPLIT);
        assertThat(applySplit(parent, new SplitEntry(new HashRange(1, 1), 3))).isEqualTo(SplitEntry.Outcome.REFUSED);
        assertThat(node.groups).containsOnlyKeys(2);
        assertThat(keys(child.store())).isEqualTo(upper);
    }

    @Test
    void aReplayAfterARestartFindsTheChildAndOnlyDropsTheUpperHalf() throws IOException {
        PartitionStateMachine before = machine(0);
        for (int i = 0; i < KEYS; i++) {
            apply(before, T0, "k" + i);
        }
        ByteArrayOutputStream beforeSplit = new ByteArrayOutputStream();
        before.writeState(beforeSplit);
        applySplit(before, new SplitEntry(HashRange.ALL, 1));
        Set<String> childKeys = keys(node.groups.get(1).store());

        // Restart from the snapshot taken before the split index: the log replays the split entry.
        PartitionStateMachine replayed = machine(0);
        replayed.readState(new ByteArrayInputStream(beforeSplit.toByteArray()));
        int adds = node.adds;
        assertThat(applySplit(replayed, new SplitEntry(HashRange.ALL, 1))).isEqualTo(SplitEntry.Outcome.SPLIT);
        assertThat(node.adds).as("the child's group exists: not added again").isEqualTo(adds);
        assertThat(keys(replayed.store())).isEqualTo(keys(before.store()));
        assertThat(keys(node.groups.get(1).store())).isEqualTo(childKeys);
    }

    @Test
    void aSnapshotCarriesTheRangeAndTheChildrenAndALaggingReplicaAddsTheChildItLacks() throws IOException {
        PartitionStateMachine parent = machine(0);
        for (int i = 0; i < KEYS; i++) {
            apply(parent, T0, "k" + i);
        }
        applySplit(parent, new SplitEntry(HashRange.ALL, 1));
        ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
        parent.writeState(snapshot);

        InMemoryNode lagging = new InMemoryNode();
        PartitionStateMachine installed = new PartitionStateMachine(0, store(0), new KeyChangeFanout(), lagging);
        installed.readState(new ByteArrayInputStream(snapshot.toByteArray()));

        assertThat(installed.range()).isEqualTo(HashRange.ALL.lower());
        assertThat(keys(installed.store())).isEqualTo(keys(parent.store()));
        assertThat(lagging.ensured).containsExactly(List.of(1));
    }

    private PartitionStateMachine machine(int partitionId) {
        return new PartitionStateMachine(partitionId, store(partitionId), new KeyChangeFanout(), node);
    }

    private OffHeapPartitionStore store(int partitionId) {
        OffHeapPartitionStore store = new OffHeapPartitionStore(partitionId, budget);
        stores.add(store);
        return store;
    }

    private SplitEntry.Outcome applySplit(PartitionStateMachine machine, SplitEntry split) {
        Message reply = applyRaw(machine, split.toMessage().getContent().toByteArray(), RaftPeerRole.LEADER);
        return SplitEntry.outcomeOf(reply);
    }

    private void apply(PartitionStateMachine machine, long leaderTimeMs, String... keys) {
        ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, 0).reset(leaderTimeMs);
        for (String k : keys) {
            UnsafeBuffer key = new UnsafeBuffer(k.getBytes(StandardCharsets.UTF_8));
            encoder.appendSet(key, 0, key.capacity(), key, 0, key.capacity(), 0);
        }
        applyRaw(machine, java.util.Arrays.copyOf(buffer.byteArray(), encoder.encodedLength()), RaftPeerRole.FOLLOWER);
    }

    private Message applyRaw(PartitionStateMachine machine, byte[] data, RaftPeerRole role) {
        LogEntryProto log = LogEntryProto.newBuilder().setTerm(1).setIndex(++index)
            .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                .setLogData(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(data)))
            .build();
        TransactionContext trx = TransactionContext.newBuilder().setStateMachine(machine)
            .setServerRole(role).setLogEntry(log).build();
        return machine.applyTransaction(trx).join();
    }

    private static Set<String> keys(PartitionStore store) {
        Set<String> keys = new HashSet<>();
        store.forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) ->
            keys.add(buffer.getStringWithoutLengthUtf8(keyOffset, keyLength)));
        return keys;
    }

    private static long hash(String key) {
        return Partitioner.hash(key.getBytes(StandardCharsets.UTF_8));
    }

    /** A node whose groups are state machines in a map; a child group loads its seed the way Ratis has it. */
    private final class InMemoryNode implements SplitHost {
        final Map<Integer, PartitionStateMachine> groups = new HashMap<>();
        final List<List<Integer>> ensured = new ArrayList<>();
        int adds;

        @Override
        public boolean dropIfNeverElected(int partitionId) {
            return false;
        }

        @Override
        public boolean hostsGroup(int partitionId) {
            return groups.containsKey(partitionId);
        }

        @Override
        public Path seedFile(int partitionId) {
            return dir.resolve("seeds").resolve("p" + partitionId + ".seed");
        }

        @Override
        public void addChildGroup(int childId, int parentId) throws IOException {
            adds++;
            PartitionStateMachine child = new PartitionStateMachine(childId, store(childId), new KeyChangeFanout(), this);
            try (InputStream in = Files.newInputStream(seedFile(childId))) {
                child.readState(in);
            }
            groups.put(childId, child);
        }

        @Override
        public void ensureChildGroups(int parentId, List<Integer> children) {
            ensured.add(children);
        }
    }
}
