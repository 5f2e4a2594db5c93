package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.KeyChangeListener;
import io.shardgrid.server.core.ports.KeyChangeSource;
import io.shardgrid.server.core.ports.LocalReplicas;
import io.shardgrid.server.core.ports.PartitionMaps;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import io.shardgrid.server.tls.NodeCredentials;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's single {@link RaftServer} hosting the meta group and its partition groups, seen by the
 * request path as {@link ConsensusGroups}.
 *
 * <p>Writes and read barriers are submitted to the local server in-process
 * ({@code submitClientRequestAsync}): no network hop between our gRPC handler and Ratis.
 */
public final class RatisNode implements ConsensusGroups, PartitionMaps, KeyChangeSource, LocalReplicas, Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RatisNode.class);

    /**
     * Reads within this long of a passed read-index round skip the next one (see {@link ReadBarrier});
     * a tenth of the 1 s minimum election timeout is the safety margin, half of it is used.
     */
    static final long LEASE_READ_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Threads that hand requests to Ratis; each may wait for one division's client thread. */
    private static final int SUBMIT_THREADS = 8;

    private final ServerConfig config;
    private final Parameters raftParameters;
    private final IntFunction<PartitionStore> storeFactory;
    private final Clock clock;
    private final RaftServer server;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final MetaStateMachine meta = new MetaStateMachine();
    private final KeyChangeFanout keyChanges = new KeyChangeFanout();
    private final Map<Integer, PartitionStateMachine> partitions = new ConcurrentHashMap<>();
    private final Map<Integer, PartitionWriteBatcher> batchers = new ConcurrentHashMap<>();
    private final Map<Integer, ReadBarrier> readBarriers = new ConcurrentHashMap<>();
    private final ExecutorService batchExecutor;
    private final ExecutorService submitExecutor;
    private final LongAdder entriesAppended = new LongAdder();
    private final LongAdder writesAppended = new LongAdder();
    private volatile PartitionMap remoteMap;
    private final Partitioner configuredPartitioner;
    private final LogFailureRecovery logRecovery;
    private final NodeSplitHost splitHost;
    /** How often replicas whose raft log failed are reopened (see {@link LogFailureRecovery}). */
    private static final long LOG_RECOVERY_INTERVAL_MS = 3_000;

    /** {@code tls}: the node's credentials when TLS is on (raft is then mutual TLS), else empty. */
    public RatisNode(ServerConfig config, IntFunction<PartitionStore> storeFactory, Clock clock,
                     Optional<NodeCredentials> tls) throws IOException {
        this.config = config;
        this.raftParameters = RatisTls.parameters(tls);
        this.storeFactory = storeFactory;
        this.clock = clock;
        this.configuredPartitioner = new Partitioner(config.partitions());
        File storage = config.dataDir().resolve("raft").toFile();
        Files.createDirectories(storage.toPath());
        this.batchExecutor = Executors.newFixedThreadPool(2, DaemonThreads.numbered(config.nodeId() + "-batcher"));
        this.submitExecutor = Executors.newFixedThreadPool(SUBMIT_THREADS,
            DaemonThreads.numbered(config.nodeId() + "-raft-submit"));
        this.server = RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(config.nodeId()))
            .setProperties(RatisTuning.properties(config, storage))
            .setParameters(raftParameters)
            .setStateMachineRegistry(this::newStateMachine)
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
        this.splitHost = new NodeSplitHost(server, config.dataDir(), config.nodeId(), this::map);
        this.logRecovery = new LogFailureRecovery(config.nodeId(), server, this::logFailures, GroupIds::partition,
            LOG_RECOVERY_INTERVAL_MS);
    }

    public void start() throws IOException {
        server.start();
        LOG.info("{}: raft server started on {} with {} groups", config.nodeId(), config.raftAddress(),
            groupCount());
    }

    /** Ratis parameters of this node's raft transport (its TLS), for the raft clients it makes. */
    Parameters raftParameters() {
        return raftParameters;
    }

    RaftServer server() {
        return server;
    }

    ServerConfig config() {
        return config;
    }

    /** Whether this node's data directory already holds groups (a restart, not a fresh start). */
    public boolean hasGroups() {
        return server.getGroupIds().iterator().hasNext();
    }

    public int groupCount() {
        int n = 0;
        for (RaftGroupId ignored : server.getGroupIds()) {
            n++;
        }
        return n;
    }

    /** The partition map: from the local meta replica, else the last one fetched from the meta group. */
    public PartitionMap map() {
        PartitionMap local = meta.map();
        return local != null ? local : remoteMap;
    }

    /** The map with leader hints refreshed from this node's own replicas: what clients should route by. */
    public PartitionMap routingMap() {
        PartitionMap map = map();
        if (map == null) {
            return null;
        }
        for (int p = 0; p < map.partitionCount(); p++) {
            // The meta map's hint is only as fresh as the last placement change; a node that has
            // left the partition is no hint at all (the client then asks a replica).
            var a = map.partition(p);
            if (a.hasLeaderHint() && !a.replicas().contains(a.leaderHint())) {
                map = map.withLeaderHint(p, "");
            }
        }
        for (int p : hostedPartitions()) {
            DivisionInfo info = assignedHere(map, p) ? info(p) : null;
            if (info != null && info.getLeaderId() != null && map.hasPartition(p)) {
                String leader = info.getLeaderId().toString();
                if (!leader.equals(map.partition(p).leaderHint())) {
                    map = map.withLeaderHint(p, leader);
                }
            }
        }
        return map;
    }

    void rememberRemoteMap(PartitionMap map) {
        PartitionMap current = remoteMap;
        if (map != null && (current == null || map.epoch() >= current.epoch())) {
            remoteMap = map;
        }
    }

    /** Key → partition for the cluster's partition count (the configured one until a map is known). */
    public Partitioner partitioner() {
        PartitionMap map = map();
        if (map != null) {
            return map.partitioner();
        }
        return configuredPartitioner;
    }

    public long mapEpoch() {
        PartitionMap map = map();
        return map == null ? 0 : map.epoch();
    }

    public void onMapChange(Consumer<PartitionMap> listener) {
        meta.addListener(listener);
    }

    /** Hears the keys every partition this node leads applies, and its leader changes. */
    public void onKeyChange(KeyChangeListener listener) {
        keyChanges.add(listener);
    }

    /** The meta group's leader as this node knows it. */
    public Optional<String> metaLeaderId() {
        RaftServer.Division d = division(GroupIds.META_GROUP);
        return d == null || d.getInfo().getLeaderId() == null ? Optional.empty()
            : Optional.of(d.getInfo().getLeaderId().toString());
    }

    /** Whether this node leads the meta group: the placement driver runs here. */
    public boolean isMetaLeader() {
        RaftServer.Division d = division(GroupIds.META_GROUP);
        return d != null && d.getInfo().isLeader();
    }

    boolean hostsMeta() {
        return division(GroupIds.META_GROUP) != null;
    }

    /** Waits until the local meta replica has applied everything committed before this call. */
    void metaReadBarrier() throws IOException {
        RaftClientReply reply;
        try {
            reply = submit(request(GroupIds.META_GROUP, Message.EMPTY, RaftClientRequest.readRequestType())).join();
        } catch (RuntimeException e) {
            throw new IOException("meta group read failed", e);
        }
        if (!reply.isSuccess()) {
            throw new IOException("meta group read failed: " + reply.getException());
        }
    }

    /** The meta group's current voters as this node sees them; empty if it holds no meta replica. */
    List<RaftPeer> metaPeers() {
        RaftServer.Division d = division(GroupIds.META_GROUP);
        return d == null ? List.of() : new ArrayList<>(d.getRaftConf().getCurrentPeers());
    }

    /** The meta group's non-voting listeners as this node sees them. */
    List<RaftPeer> metaListeners() {
        RaftServer.Division d = division(GroupIds.META_GROUP);
        return d == null ? List.of() : new ArrayList<>(d.getRaftConf().getCurrentPeers(RaftPeerRole.LISTENER));
    }

    private StateMachine newStateMachine(RaftGroupId groupId) {
        if (GroupIds.isMeta(groupId)) {
            return meta;
        }
        int p = GroupIds.partitionOf(groupId);
        if (p < 0) {
            throw new IllegalArgumentException("group " + groupId + " is not a Shardgrid group");
        }
        PartitionStateMachine sm = new PartitionStateMachine(p, storeFactory.apply(p), keyChanges, splitHost);
        PartitionStateMachine previous = partitions.put(p, sm);
        if (previous != null) {
            previous.store().close();
        }
        return sm;
    }

    RaftServer.Division division(RaftGroupId groupId) {
        try {
            return server.getDivision(groupId);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether the map gives this node a copy of the partition. A copy it no longer has (removed
     * while this node was down, not yet deleted) knows nothing current about the group.
     */
    private boolean assignedHere(PartitionMap map, int partitionId) {
        if (map == null || !map.hasPartition(partitionId)) {
            return true;
        }
        var a = map.partition(partitionId);
        return a.replicas().contains(config.nodeId()) || a.learners().contains(config.nodeId());
    }

    /**
     * Whether the map gives this node a copy of {@code partitionId} (a replica or learner), or no
     * map says otherwise yet; a copy moved away serves nothing until the placement driver deletes it.
     */
    public boolean assignedHere(int partitionId) {
        return assignedHere(map(), partitionId);
    }

    /** This node's own view of a partition's leader (empty when it holds no current copy or knows none). */
    public String localLeader(int partitionId) {
        DivisionInfo info = assignedHere(map(), partitionId) ? info(partitionId) : null;
        return info == null || info.getLeaderId() == null ? "" : info.getLeaderId().toString();
    }

    private DivisionInfo info(int partitionId) {
        if (!partitions.containsKey(partitionId)) {
            return null;
        }
        RaftServer.Division d = division(GroupIds.partition(partitionId));
        return d == null ? null : d.getInfo();
    }

    @Override
    public boolean hosts(int partitionId) {
        return info(partitionId) != null;
    }

    @Override
    public boolean isLeader(int partitionId) {
        DivisionInfo info = info(partitionId);
        return info != null && info.isLeader() && info.isLeaderReady();
    }

    @Override
    public Optional<String> leaderOf(int partitionId) {
        DivisionInfo info = assignedHere(map(), partitionId) ? info(partitionId) : null;
        if (info != null && info.getLeaderId() != null) {
            return Optional.of(info.getLeaderId().toString());
        }
        PartitionMap map = map();
        if (map != null && map.hasPartition(partitionId)) {
            var a = map.partition(partitionId);
            if (a.hasLeaderHint() && a.replicas().contains(a.leaderHint())) {
                return Optional.of(a.leaderHint());
            }
            // Unknown: any replica knows, and answers NOT_LEADER with the real one.
            return a.replicas().stream().findFirst();
        }
        return Optional.empty();
    }

    /** Partition ids with a replica on this node. */
    public List<Integer> hostedPartitions() {
        List<Integer> ids = new ArrayList<>();
        for (RaftGroupId gid : server.getGroupIds()) {
            int p = GroupIds.partitionOf(gid);
            if (p >= 0) {
                ids.add(p);
            }
        }
        ids.sort(null);
        return ids;
    }

    /** The raft term the local replica is in, or -1: a term that moves without a fault is an election storm. */
    public long currentTerm(int partitionId) {
        DivisionInfo info = info(partitionId);
        return info == null ? -1 : info.getCurrentTerm();
    }

    @Override
    public long partitionClockMs(int partitionId) {
        PartitionStateMachine sm = partitions.get(partitionId);
        return sm == null ? 0 : sm.applyClockMs();
    }

    /** Applied index of the local replica, or -1. */
    public long appliedIndex(int partitionId) {
        DivisionInfo info = info(partitionId);
        return info == null ? -1 : info.getLastAppliedIndex();
    }

    /**
     * Why the local replica's raft log stopped (a full or failing disk) and is not serving, or empty
     * while it works; a replica being reopened counts as stopped.
     */
    public Optional<String> logFailure(int partitionId) {
        if (logRecovery.reopening().contains(partitionId)) {
            return Optional.of("being reopened after its raft log failed");
        }
        PartitionStateMachine sm = partitions.get(partitionId);
        return Optional.ofNullable(sm == null ? null : sm.logFailure());
    }

    /** Local partitions that are closed for a reopen after a log failure and not yet back. */
    public List<Integer> partitionsReopening() {
        List<Integer> ids = new ArrayList<>(logRecovery.reopening());
        ids.sort(null);
        return ids;
    }

    private Map<Integer, String> logFailures() {
        Map<Integer, String> failed = new HashMap<>();
        partitions.forEach((p, sm) -> {
            String why = sm.logFailure();
            if (why != null) {
                failed.put(p, why);
            }
        });
        return failed;
    }

    /** The state machine of the local replica of {@code partitionId}, or null. */
    PartitionStateMachine stateMachine(int partitionId) {
        return partitions.get(partitionId);
    }

    /** Commit index the local replica knows of, or -1. */
    public long commitIndex(int partitionId) {
        RaftServer.Division d = partitions.containsKey(partitionId) ? division(GroupIds.partition(partitionId)) : null;
        return d == null ? -1 : d.getRaftLog().getLastCommittedIndex();
    }

    /** Raft entries this node's partition leaders appended for client writes since start. */
    public long entriesAppended() {
        return entriesAppended.sum();
    }

    /** Client writes carried by those entries: writes per entry is how well group commit works. */
    public long writesAppended() {
        return writesAppended.sum();
    }

    void countAppended(int writes) {
        entriesAppended.increment();
        writesAppended.add(writes);
    }

    /** Snapshots installed from a leader into this node's partition replicas since start. */
    public int snapshotInstalls() {
        int n = 0;
        for (PartitionStateMachine sm : partitions.values()) {
            n += sm.snapshotInstalls();
        }
        return n;
    }

    /** First index still in the local log (the log is purged behind snapshots), or -1. */
    public long firstLogIndex(int partitionId) {
        RaftServer.Division d = partitions.containsKey(partitionId) ? division(GroupIds.partition(partitionId)) : null;
        return d == null ? -1 : d.getRaftLog().getStartIndex();
    }

    @Override
    public List<CompletableFuture<WriteResult>> write(int partitionId, List<WriteCommand> commands) {
        if (!partitions.containsKey(partitionId)) {
            GridException notLeader = GridException.notLeader(partitionId, leaderOf(partitionId).orElse(""), mapEpoch());
            List<CompletableFuture<WriteResult>> failed = new ArrayList<>(commands.size());
            for (int i = 0; i < commands.size(); i++) {
                failed.add(CompletableFuture.failedFuture(notLeader));
            }
            return failed;
        }
        return batchers.computeIfAbsent(partitionId, p -> new PartitionWriteBatcher(p, this, config, clock,
            batchExecutor)).submitAll(commands);
    }

    @Override
    public CompletableFuture<Void> readBarrier(int partitionId) {
        return readBarriers.computeIfAbsent(partitionId, p -> new ReadBarrier(() -> readIndexRound(p),
            () -> leaderTerm(p), LEASE_READ_WINDOW_NS)).await();
    }

    /** The current term while this replica leads {@code partitionId}, else -1. */
    private long leaderTerm(int partitionId) {
        DivisionInfo info = info(partitionId);
        return info != null && info.isLeader() && info.isLeaderReady() ? info.getCurrentTerm() : -1;
    }

    private CompletableFuture<Void> readIndexRound(int partitionId) {
        RaftClientRequest request = request(GroupIds.partition(partitionId), Message.EMPTY,
            RaftClientRequest.readRequestType());
        return submit(request).handle((reply, failure) -> {
            GridException error = failure != null
                ? RaftErrors.fromThrowable(failure, partitionId, mapEpoch())
                : RaftErrors.fromReply(reply, partitionId, mapEpoch());
            if (error != null) {
                throw error;
            }
            return null;
        });
    }

    /** False for a key a split moved out of the local replica's range (an older map routed it here). */
    @Override
    public boolean owns(int partitionId, byte[] key) {
        PartitionStateMachine sm = partitions.get(partitionId);
        return sm == null || sm.ownsHash(Partitioner.hash(key));
    }

    @Override
    public PartitionStore store(int partitionId) {
        PartitionStateMachine sm = partitions.get(partitionId);
        if (sm == null) {
            throw new GridException(GridErrorCode.NOT_LEADER, "this node holds no replica of partition " + partitionId);
        }
        return sm.store();
    }

    RaftClientRequest request(RaftGroupId groupId, Message message, RaftClientRequest.Type type) {
        return RaftClientRequest.newBuilder()
            .setClientId(localClientId)
            .setServerId(server.getId())
            .setGroupId(groupId)
            .setCallId(callIds.incrementAndGet())
            .setMessage(message)
            .setType(type)
            .build();
    }

    /**
     * Submits on the submit pool: Ratis's {@code submitClientRequestAsync} blocks its caller until
     * the division's client thread has taken the request, which must never stall a gRPC transport
     * thread or serialize every partition behind one batcher thread.
     */
    CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return server.submitClientRequestAsync(request);
            } catch (IOException e) {
                return CompletableFuture.<RaftClientReply>failedFuture(e);
            }
        }, submitExecutor).thenCompose(f -> f)
            .orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws IOException {
        logRecovery.close();
        splitHost.close();
        batchExecutor.shutdownNow();
        submitExecutor.shutdownNow();
        try {
            server.close();
        } finally {
            for (PartitionStateMachine sm : partitions.values()) {
                sm.store().close();
            }
            partitions.clear();
        }
    }
}
