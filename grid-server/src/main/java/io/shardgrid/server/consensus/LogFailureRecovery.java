package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reopens a partition replica whose raft log stopped on an I/O error.
 *
 * <p>Design notes: Ratis's log worker never resumes after a failed write (a full disk, say), so the
 * replica would stay stopped, and the node unready, until the whole node restarts. Removing the
 * division with its directory kept and adding it back starts a new worker that recovers the log
 * and the state machine from disk, exactly as a restart would for that one group; while the disk
 * still refuses writes the add fails or the new log fails again, and the next round tries again.
 * If the failure also left the replica's {@code raft-meta} empty, {@link RaftMetaRepair} rewrites it
 * before the add, from the term the failed division still had in memory.
 * Nothing acknowledged is at risk: an entry the failed worker did not persist was never counted
 * toward a quorum by this replica.
 */
final class LogFailureRecovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogFailureRecovery.class);

    private final RaftServer server;
    private final Supplier<Map<Integer, String>> failures;
    private final IntFunction<RaftGroupId> groupIds;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Groups removed for a reopen whose add has not succeeded yet: retried every round. */
    private final Map<Integer, Closed> awaitingAdd = new ConcurrentHashMap<>();

    /** A division closed for a reopen: its group, the term it had in memory and its raft-meta file. */
    private record Closed(RaftGroup group, long term, Path metaFile) {
    }
    private final ScheduledExecutorService scheduler;

    LogFailureRecovery(String nodeId, RaftServer server, Supplier<Map<Integer, String>> failures,
                       IntFunction<RaftGroupId> groupIds, long intervalMs) {
        this.server = server;
        this.failures = failures;
        this.groupIds = groupIds;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(nodeId + "-log-recovery"));
        scheduler.scheduleWithFixedDelay(this::round, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    /** Partitions being reopened (removed, not yet added back): they count as hosted but not ready. */
    Set<Integer> reopening() {
        return Set.copyOf(awaitingAdd.keySet());
    }

    void round() {
        try {
            failures.get().forEach((p, why) -> {
                if (!awaitingAdd.containsKey(p)) {
                    remove(p, why);
                }
            });
            awaitingAdd.forEach(this::add);
        } catch (RuntimeException e) {
            LOG.warn("{}: log recovery round failed: {}", server.getId(), e.toString());
        }
    }

    private void remove(int p, String why) {
        RaftGroupId groupId = groupIds.apply(p);
        RaftServer.Division division;
        try {
            division = server.getDivision(groupId);
        } catch (IOException gone) {
            return; // the partition left this node since (placement removed it): nothing to reopen
        }
        try {
            Closed closed = new Closed(division.getGroup(), division.getInfo().getCurrentTerm(),
                division.getRaftStorage().getStorageDir().getCurrentDir().toPath().resolve(RaftMetaRepair.FILE_NAME));
            LOG.warn("{}: p{} {}; reopening it from its directory", server.getId(), p, why);
            awaitingAdd.put(p, closed);
            server.groupManagement(GroupManagementRequest.newRemove(clientId, server.getId(),
                callIds.incrementAndGet(), groupId, false, false));
        } catch (IOException e) {
            LOG.warn("{}: p{}: could not close the failed division: {}", server.getId(), p, e.toString());
        }
    }

    private void add(int p, Closed closed) {
        try {
            if (RaftMetaRepair.needsRepair(closed.metaFile())) {
                RaftMetaRepair.write(closed.metaFile(), closed.term(), server.getId().toString());
                LOG.warn("{}: p{}: raft-meta was left empty by the failed write; rewrote term {} with a vote for "
                    + "itself", server.getId(), p, closed.term());
            }
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(),
                callIds.incrementAndGet(), closed.group(), false));
            if (reply.isSuccess()) {
                awaitingAdd.remove(p);
                LOG.info("{}: p{} reopened from its directory", server.getId(), p);
            } else {
                LOG.warn("{}: p{} not reopened yet: {}", server.getId(), p, reply.getException());
            }
        } catch (IOException e) {
            LOG.warn("{}: p{} not reopened yet: {}", server.getId(), p, e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
