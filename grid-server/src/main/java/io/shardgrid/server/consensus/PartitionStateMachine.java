package io.shardgrid.server.consensus;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.server.consensus.codec.LogEntryApplier;
import io.shardgrid.server.consensus.codec.LogEntryFlyweight;
import io.shardgrid.server.consensus.codec.LogOpFlyweight;
import io.shardgrid.server.consensus.codec.MalformedLogEntryException;
import io.shardgrid.server.core.ports.KeyChangeListener;
import io.shardgrid.server.core.ports.PartitionStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongPredicate;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's replica: applies each committed batch entry to the off-heap store with the
 * entry's leader timestamp as "now", and snapshots the store for log purging and for installing
 * onto lagging or new replicas.
 *
 * <p>Reads never go through here: the request path reads the store directly once
 * {@code readBarrier} (Ratis read-index / leader lease, answered by {@link #query}) completes.
 *
 * <p>Design notes (time). Ops run at the <em>apply clock</em>: the largest leader time of any entry
 * applied so far, not the entry's own. It is a function of the log alone, so every replica has the
 * same one, and it never goes back, so once an entry has expired at some applied entry it stays
 * expired at every later one, even if leadership moves to a node whose clock is behind. That is
 * what makes it safe to drop expired entries at any time without the log saying so: a snapshot
 * leaves out the entries expired at its apply clock (and stores the clock), and a replica that
 * kept such an entry a while longer behaves the same. See docs/MEMORY.md.
 */
final class PartitionStateMachine extends SnapshottingStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);
    /** Checks entries on the threads that submit them (Ratis calls startTransaction there). */
    private static final ThreadLocal<EntryCheck> ENTRY_CHECKS = ThreadLocal.withInitial(EntryCheck::new);
    /** The leader's answer to a skipped entry: no op results (the batcher fails its writes). */
    private static final ByteString NO_RESULTS = ByteString.copyFrom(new byte[BatchResults.HEADER]);

    private final int partitionId;
    private final PartitionStore store;
    private final KeyChangeListener changes;
    /** The node's groups, for split entries; null where none can be applied (tests of one machine). */
    private final SplitHost splitHost;
    /**
     * The keys this replica owns, or null for "every key the map routes here" (a partition never
     * split, nor split off another). Part of the replicated state: set only by a split entry, a
     * seed, or a snapshot; written on the apply thread, read by the request path.
     */
    private volatile HashRange range;
    /** The partitions split off this one, in order (replicated state, kept in snapshots); apply thread. */
    private final List<Integer> children = new ArrayList<>();
    private final LongPredicate ownsKeyHash = this::ownsHash;

    // Apply-thread only.
    private final ExpandableArrayBuffer entryBytes = new ExpandableArrayBuffer(64 * 1024);
    private final LogEntryFlyweight entry = new LogEntryFlyweight();
    private final LogEntryApplier applier = new LogEntryApplier();
    private final BatchResults results = new BatchResults();
    private final LogOpFlyweight changedOp = new LogOpFlyweight();
    private DivisionInfo division;
    private long publishedTerm;
    private long publishedSeq;
    /** Largest leader time applied: the partition's replicated "now". */
    /** Written on the apply thread; read by reads and the leader's batcher as the partition's clock. */
    private volatile long applyClockMs;

    PartitionStateMachine(int partitionId, PartitionStore store, KeyChangeListener changes) {
        this(partitionId, store, changes, null);
    }

    PartitionStateMachine(int partitionId, PartitionStore store, KeyChangeListener changes, SplitHost splitHost) {
        this.partitionId = partitionId;
        this.store = store;
        this.changes = changes;
        this.splitHost = splitHost;
    }

    /** Whether this replica owns the key with {@code hash}: false once a split moved it to a child. */
    boolean ownsHash(long hash) {
        HashRange r = range;
        return r == null || r.contains(hash);
    }

    /** The range this replica owns, or null while no split has narrowed it. */
    HashRange range() {
        return range;
    }

    int partitionId() {
        return partitionId;
    }

    PartitionStore store() {
        return store;
    }

    /**
     * On the leader, before a client's entry is appended to the log: an entry that does not parse is
     * refused here (the client gets a state machine exception), so no replica ever applies it.
     */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        ByteString content = request.getMessage().getContent();
        if (SplitEntry.isSplit(content)) {
            try {
                SplitEntry.parse(content);
            } catch (IllegalArgumentException e) {
                trx.setException(new MalformedLogEntryException("partition " + partitionId
                    + " refused a malformed split entry: " + e.getMessage()));
            }
            return trx;
        }
        try {
            ENTRY_CHECKS.get().check(content);
        } catch (MalformedLogEntryException e) {
            LOG.warn("p{}: refused a malformed entry from client {}: {}", partitionId, request.getClientId(),
                e.getMessage());
            trx.setException(new MalformedLogEntryException("partition " + partitionId
                + " refused a malformed entry before the log: " + e.getMessage()));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto log = trx.getLogEntry();
        ByteString data = log.getStateMachineLogEntry().getLogData();
        if (SplitEntry.isSplit(data)) {
            return CompletableFuture.completedFuture(applySplit(SplitEntry.parse(data), log));
        }
        int length = data.size();
        entryBytes.checkLimit(length);
        data.copyTo(entryBytes.byteArray(), 0);
        boolean leader = trx.getServerRole() == RaftPeerRole.LEADER;
        try {
            entry.wrap(entryBytes, 0, length);
        } catch (MalformedLogEntryException e) {
            // Only a log written before entries were checked on the way in (or a corrupt one) gets
            // here. Every replica reads the same bytes, so skipping the entry keeps them alike;
            // throwing would stop this group's apply thread for good.
            LOG.error("p{}: skipped malformed entry at index {}: {}", partitionId, log.getIndex(), e.getMessage());
            updateLastAppliedTermIndex(log.getTerm(), log.getIndex());
            return CompletableFuture.completedFuture(leader ? Message.valueOf(NO_RESULTS) : Message.EMPTY);
        }
        applyClockMs = Math.max(applyClockMs, entry.leaderTimeMs());
        applier.apply(entry, store, applyClockMs, leader ? results.reset() : LogEntryApplier.IGNORE_RESULTS,
            range == null ? null : ownsKeyHash);
        updateLastAppliedTermIndex(log.getTerm(), log.getIndex());
        if (leader && changes.active()) {
            publishChangedKeys();
        }
        if (!leader) {
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
        ByteString reply = ByteString.copyFrom(results.encoded().byteArray(), 0, results.encodedLength());
        return CompletableFuture.completedFuture(Message.valueOf(reply));
    }

    /**
     * Tells near caches which keys this entry touched. Every write op counts, even a failed
     * compare-and-set: an extra invalidation costs a cache miss, a missing one a stale read.
     */
    private void publishChangedKeys() {
        long term = currentTerm();
        if (term != publishedTerm) {
            publishedTerm = term;
            publishedSeq = 0;
        }
        changedOp.wrap(entry);
        while (changedOp.next()) {
            byte[] key = new byte[changedOp.keyLength()];
            changedOp.buffer().getBytes(changedOp.keyOffset(), key);
            changes.keyChanged(partitionId, term, ++publishedSeq, key);
        }
    }

    private long currentTerm() {
        if (division == null) {
            try {
                division = getServer().join().getDivision(getGroupId()).getInfo();
            } catch (IOException e) {
                throw new IllegalStateException("partition " + partitionId + " has no division", e);
            }
        }
        return division.getCurrentTerm();
    }

    /** Ratis calls this as soon as a leader is known, before the new leader applies anything. */
    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeaderId) {
        if (member.getPeerId().equals(newLeaderId)) {
            try {
                changes.leadershipTaken(partitionId,
                    getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm());
            } catch (IOException e) {
                throw new IllegalStateException("partition " + partitionId + " has no division", e);
            }
        }
        changes.leaderChanged(partitionId);
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        // Reaching here means the read-index barrier passed; the caller reads the store itself.
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    /** Ratis closes the state machine when the node stops or the partition leaves this node. */
    @Override
    public void close() throws IOException {
        store.close();
        super.close();
    }

    /** The apply clock: the largest leader time applied so far, never going back. */
    long applyClockMs() {
        return applyClockMs;
    }

    @Override
    protected void writeState(OutputStream out) throws IOException {
        new PartitionSnapshotHeader(applyClockMs, range, List.copyOf(children)).write(out);
        // Entries expired at the apply clock are dead on every replica for good: leave them out.
        store.writeSnapshot(out, applyClockMs);
    }

    @Override
    protected void readState(InputStream in) throws IOException {
        InputStream marked = in.markSupported() ? in : new BufferedInputStream(in);
        PartitionSnapshotHeader header = PartitionSnapshotHeader.read(marked, partitionId);
        store.readSnapshot(marked);
        if (header == null) {
            applyClockMs = 0; // written before the header existed: the store alone, expired entries kept
            return;
        }
        applyClockMs = header.applyClockMs();
        range = header.range();
        children.addAll(header.children());
        if (splitHost != null) {
            // Caught up by snapshot past a split entry: this node may lack the child's group.
            splitHost.ensureChildGroups(partitionId, List.copyOf(children));
        }
    }

    @Override
    protected void resetState() {
        store.clear();
        applyClockMs = 0;
        range = null;
        children.clear();
    }

    /** A partition split off another starts from the seed its parent's split entry wrote. */
    @Override
    protected Path seedSnapshot() {
        return splitHost == null ? null : splitHost.seedFile(partitionId);
    }

    /**
     * Applies a split entry, the same on every replica at the same index: the upper half of the
     * parent range is written as the child's seed (durably), the child's group is added on this
     * node with this group's peers and takes the seed as its first snapshot, and only then do the
     * moved keys leave this store and the range halve. A replay after a restart finds the child's
     * group there already and only drops the upper half. An I/O failure stops this replica's apply
     * (the entry is not skipped): replicas may differ in speed, never in state. A child group that
     * knows no peers after a restart ({@link SplitHost#dropIfNeverElected}) is added again the same way.
     */
    private Message applySplit(SplitEntry split, LogEntryProto log) {
        HashRange parent = split.parentRange();
        SplitEntry.Outcome outcome;
        String detail;
        if (range != null && range.equals(parent.lower())) {
            outcome = SplitEntry.Outcome.ALREADY_SPLIT;
            detail = "partition " + partitionId + " already owns only " + range;
        } else if ((range != null && !range.equals(parent)) || splitHost == null) {
            outcome = SplitEntry.Outcome.REFUSED;
            detail = "partition " + partitionId + " owns " + (range == null ? "its map range" : range) + ", not "
                + parent;
        } else {
            try {
                splitOff(split);
            } catch (IOException e) {
                throw new UncheckedIOException("partition " + partitionId + " could not split at index "
                    + log.getIndex(), e);
            }
            outcome = SplitEntry.Outcome.SPLIT;
            detail = "partition " + partitionId + " keeps " + range + ", partition " + split.childId() + " takes "
                + parent.upper();
        }
        updateLastAppliedTermIndex(log.getTerm(), log.getIndex());
        LOG.info("p{}: split entry at index {}: {} ({})", partitionId, log.getIndex(), outcome, detail);
        return SplitEntry.reply(outcome, detail);
    }

    private void splitOff(SplitEntry split) throws IOException {
        HashRange upper = split.parentRange().upper();
        int child = split.childId();
        Path seed = splitHost.seedFile(child);
        if (!splitHost.hostsGroup(child) || splitHost.dropIfNeverElected(child)) {
            Files.createDirectories(seed.getParent());
            DurableFiles.replace(seed, seed.resolveSibling(seed.getFileName() + ".tmp"), out -> {
                new PartitionSnapshotHeader(applyClockMs, upper, List.of()).write(out);
                store.writeSnapshot(out, applyClockMs, upper::contains, child);
            });
            splitHost.addChildGroup(child, partitionId);
        }
        Files.deleteIfExists(seed); // the child's group holds it as its own snapshot now
        // Narrowed before the removal: a reader that finds the range unchanged after reading a key
        // (GridService) read it before any key left.
        range = split.parentRange().lower();
        long moved = store.removeIf(upper::contains);
        children.add(child);
        LOG.info("p{}: {} keys moved to partition {} ({})", partitionId, moved, child, upper);
    }

    /** Parses an entry in place, without copying it, only to see that it is well formed. */
    private static final class EntryCheck {
        private final LogEntryFlyweight entry = new LogEntryFlyweight();
        private final UnsafeBuffer bytes = new UnsafeBuffer(new byte[0]);

        void check(ByteString data) {
            ByteBuffer view = data.asReadOnlyByteBuffer(); // Agrona reads a read-only heap buffer in place
            bytes.wrap(view, view.position(), view.remaining());
            entry.wrap(bytes, 0, bytes.capacity());
        }
    }
}
