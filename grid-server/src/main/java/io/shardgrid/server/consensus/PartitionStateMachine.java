package io.shardgrid.server.consensus;

import io.shardgrid.server.consensus.codec.LogEntryApplier;
import io.shardgrid.server.consensus.codec.LogEntryFlyweight;
import io.shardgrid.server.consensus.codec.LogOpFlyweight;
import io.shardgrid.server.consensus.codec.MalformedLogEntryException;
import io.shardgrid.server.core.ports.KeyChangeListener;
import io.shardgrid.server.core.ports.PartitionStore;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
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
    /** Our header before the store's snapshot: "SGPC", a version, the apply clock. */
    private static final int SNAPSHOT_MAGIC = 0x4350_4753;
    private static final int SNAPSHOT_VERSION = 1;

    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);
    /** Checks entries on the threads that submit them (Ratis calls startTransaction there). */
    private static final ThreadLocal<EntryCheck> ENTRY_CHECKS = ThreadLocal.withInitial(EntryCheck::new);
    /** The leader's answer to a skipped entry: no op results (the batcher fails its writes). */
    private static final ByteString NO_RESULTS = ByteString.copyFrom(new byte[BatchResults.HEADER]);

    private final int partitionId;
    private final PartitionStore store;
    private final KeyChangeListener changes;

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
        this.partitionId = partitionId;
        this.store = store;
        this.changes = changes;
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
        try {
            ENTRY_CHECKS.get().check(request.getMessage().getContent());
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
        applier.apply(entry, store, applyClockMs, leader ? results.reset() : LogEntryApplier.IGNORE_RESULTS);
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
        DataOutputStream header = new DataOutputStream(out);
        header.writeInt(SNAPSHOT_MAGIC);
        header.writeInt(SNAPSHOT_VERSION);
        header.writeLong(applyClockMs);
        header.flush();
        // Entries expired at the apply clock are dead on every replica for good: leave them out.
        store.writeSnapshot(out, applyClockMs);
    }

    @Override
    protected void readState(InputStream in) throws IOException {
        InputStream marked = in.markSupported() ? in : new BufferedInputStream(in);
        marked.mark(Integer.BYTES);
        DataInputStream header = new DataInputStream(marked);
        if (header.readInt() == SNAPSHOT_MAGIC) {
            int version = header.readInt();
            if (version != SNAPSHOT_VERSION) {
                throw new IOException("partition " + partitionId + " snapshot header version " + version
                    + " is not supported, expected " + SNAPSHOT_VERSION);
            }
            long clock = header.readLong();
            store.readSnapshot(marked);
            applyClockMs = clock;
        } else {
            // Written before the header existed: the store's snapshot alone, expired entries kept.
            marked.reset();
            store.readSnapshot(marked);
            applyClockMs = 0;
        }
    }

    @Override
    protected void resetState() {
        store.clear();
        applyClockMs = 0;
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
