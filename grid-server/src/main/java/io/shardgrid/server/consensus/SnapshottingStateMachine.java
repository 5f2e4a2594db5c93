package io.shardgrid.server.consensus;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot lifecycle shared by the meta and partition state machines: one file per snapshot,
 * written under a temporary name and renamed once complete (so a leader never ships a half-written
 * file to a follower), with an MD5 that Ratis checks on install, and the lifecycle transitions
 * Ratis expects around snapshot installation ({@code pause} → {@code reinitialize}).
 *
 * <p>Ratis calls {@code applyTransaction}, {@code takeSnapshot} and {@code reinitialize} from the
 * division's one state-machine updater thread, which is what makes the store's single-writer rule
 * hold.
 */
abstract class SnapshottingStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshottingStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final AtomicInteger installs = new AtomicInteger();
    /**
     * The snapshot {@link #getLatestSnapshot} answers, null for none. Ratis asks on every append,
     * heartbeat and log-appender pass, and while a group has no snapshot yet
     * {@code SimpleStateMachineStorage} lists the snapshot directory on each call: a third of a log
     * appender thread's CPU under write load. Snapshot files appear only through
     * {@link #takeSnapshot} or an install followed by {@link #reinitialize}, so both refresh it.
     */
    private volatile SingleFileSnapshotInfo latestSnapshot;
    /** Why Ratis's log worker for this replica stopped (it never resumes; see LogFailureRecovery), or null. */
    private final AtomicReference<String> logFailure = new AtomicReference<>();

    /** Writes the whole state; called on the apply thread. */
    protected abstract void writeState(OutputStream out) throws IOException;

    /** Replaces the whole state with the one read; called on the apply thread or at start. */
    protected abstract void readState(InputStream in) throws IOException;

    /** Drops the whole state. */
    protected abstract void resetState();

    /**
     * A state this group starts from when it has no snapshot of its own (a partition split off
     * another), or null. It becomes the group's snapshot at term 0, index 0, so Ratis begins the
     * log after it and sends it, as any snapshot, to a replica that has to catch up from nothing.
     */
    protected Path seedSnapshot() {
        return null;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
            if (snapshot == null) {
                snapshot = adoptSeed();
            }
            loadSnapshot(snapshot);
            latestSnapshot = snapshot;
        });
    }

    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    @Override
    public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
        String what = "raft log failed" + (failedEntry == null ? "" : " at index " + failedEntry.getIndex())
            + ": " + cause;
        if (logFailure.compareAndSet(null, what)) {
            LOG.error("{}: {}; this replica stops until it is reopened", getId(), what, cause);
        }
    }

    /** Why this replica's raft log stopped taking entries, or null while it works. */
    String logFailure() {
        return logFailure.get();
    }

    /** How many snapshots Ratis installed from a leader into this replica. */
    int snapshotInstalls() {
        return installs.get();
    }

    @Override
    public void reinitialize() throws IOException {
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            installs.incrementAndGet();
        }
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        loadSnapshot(snapshot);
        latestSnapshot = snapshot;
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return latestSnapshot;
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path temp = target.toPath().resolveSibling(target.getName() + ".tmp");
        // Durable before it counts: Ratis purges the log behind a snapshot, so a snapshot that a power
        // loss could undo (file data, or the rename, not yet on disk) would lose the partition.
        DurableFiles.replace(target.toPath(), temp, this::writeState);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
        DurableFiles.forceDirectory(target.toPath().getParent()); // the MD5 file's rename
        latestSnapshot = storage.updateLatestSnapshot(
            new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last));
        LOG.debug("{}: snapshot at {} to {}", getId(), last, target);
        return last.getIndex();
    }

    /** Copies the seed, if there is one, durably into this group's storage as its snapshot (0, 0). */
    private SingleFileSnapshotInfo adoptSeed() throws IOException {
        Path seed = seedSnapshot();
        if (seed == null || !Files.exists(seed)) {
            return null;
        }
        TermIndex start = TermIndex.valueOf(0, 0);
        File target = storage.getSnapshotFile(start.getTerm(), start.getIndex());
        DurableFiles.replace(target.toPath(), target.toPath().resolveSibling(target.getName() + ".tmp"),
            out -> Files.copy(seed, out));
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
        DurableFiles.forceDirectory(target.toPath().getParent());
        LOG.info("{}: starts from the split seed {}", getId(), seed);
        return storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), start));
    }

    private void loadSnapshot(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            resetState();
            return;
        }
        File file = snapshot.getFile().getPath().toFile();
        if (!file.exists()) {
            throw new IOException("snapshot file " + file + " of " + snapshot + " is missing");
        }
        MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (md5 != null) {
            MD5FileUtil.verifySavedMD5(file, md5);
        }
        TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
        resetState();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file.toPath()), 64 * 1024)) {
            readState(in);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        setLastAppliedTermIndex(last);
        LOG.info("{}: loaded snapshot {} from {}", getId(), last, file);
    }
}
