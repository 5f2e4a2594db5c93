package io.shardgrid.server.consensus;

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
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's single {@link RaftServer} hosting the meta group and its partition groups, seen by the
 * request path as {@link ConsensusGroups}.
 *
 * <p>Writes and read barriers are submitted to the local server in-process
 * ({@link LocalRaftSubmitter}); reads wait for {@link PartitionReadBarriers}. The meta group as this
 * node sees it is {@link MetaReplica}; who leads what, {@link LeaderHints}.
 */
public final class RatisNode implements ConsensusGroups, PartitionMaps, KeyChangeSource, LocalReplicas, Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RatisNode.class);

    private final ServerConfig config;
    private final Parameters raftParameters;
    private final IntFunction<PartitionStore> storeFactory;
    private final RaftServer server;
    /** Replaced only when the meta replica is deleted and created again ({@link NeverElectedGroups}). */
    private volatile MetaStateMachine metaStateMachine = new MetaStateMachine();
    private final MetaReplica meta;
    private final LocalRaftSubmitter submitter;
    private final PartitionReadBarriers readBarriers;
    private final LeaderHints leaders;
    private final KeyChangeFanout keyChanges = new KeyChangeFanout();
    private final Map<Integer, PartitionStateMachine> partitions = new ConcurrentHashMap<>();
    private final PartitionWrites writes;
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
        this.configuredPartitioner = new Partitioner(config.partitions());
        File storage = config.dataDir().resolve("raft").toFile();
        Files.createDirectories(storage.toPath());
        this.writes = new PartitionWrites(this, config, clock);
        this.server = RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(config.nodeId()))
            .setProperties(RatisTuning.properties(config, storage))
            .setParameters(raftParameters)
            .setStateMachineRegistry(this::newStateMachine)
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
        this.submitter = new LocalRaftSubmitter(server, config.nodeId(), config.requestTimeout());
        this.meta = new MetaReplica(() -> metaStateMachine, server, submitter);
        this.readBarriers = new PartitionReadBarriers(this::info, submitter, this::mapEpoch);
        this.leaders = new LeaderHints(config.nodeId(), this::map, this::info, this::hostedPartitions);
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
        return meta.map();
    }

    /** The map with leader hints refreshed from this node's own replicas: what clients should route by. */
    public PartitionMap routingMap() {
        return leaders.routingMap();
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
        meta.onMapChange(listener);
    }

    /** Hears the keys every partition this node leads applies, and its leader changes. */
    public void onKeyChange(KeyChangeListener listener) {
        keyChanges.add(listener);
    }

    /** The meta group's leader as this node knows it. */
    public Optional<String> metaLeaderId() {
        return meta.leaderId();
    }

    /** Whether this node leads the meta group: the placement driver runs here. */
    public boolean isMetaLeader() {
        return meta.isLeader();
    }

    /** The meta group as this node sees it: for the membership changes made through it. */
    MetaReplica meta() {
        return meta;
    }

    private StateMachine newStateMachine(RaftGroupId groupId) {
        if (GroupIds.isMeta(groupId)) {
            synchronized (this) {
                // Asked again: the meta replica was deleted and is created anew; a state machine starts once.
                if (metaStateMachine.getLifeCycleState() != LifeCycle.State.NEW) {
                    metaStateMachine = metaStateMachine.successor();
                }
                return metaStateMachine;
            }
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
     * Whether the map gives this node a copy of {@code partitionId} (a replica or learner), or no
     * map says otherwise yet; a copy moved away serves nothing until the placement driver deletes it.
     */
    public boolean assignedHere(int partitionId) {
        return leaders.assignedHere(map(), partitionId);
    }

    /** This node's own view of a partition's leader (empty when it holds no current copy or knows none). */
    public String localLeader(int partitionId) {
        return leaders.localLeader(partitionId);
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
        return leaders.leaderOf(partitionId);
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
        return writes.entriesAppended();
    }

    /** Client writes carried by those entries: writes per entry is how well group commit works. */
    public long writesAppended() {
        return writes.writesAppended();
    }

    @Override
    public long writesAppended(int partitionId) {
        return writes.writesAppended(partitionId);
    }

    @Override
    public long readsServed(int partitionId) {
        return readBarriers.reads(partitionId);
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
        return writes.submit(partitionId, commands);
    }

    @Override
    public CompletableFuture<Void> readBarrier(int partitionId) {
        return readBarriers.await(partitionId);
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

    /** Hands requests to the local raft server in-process. */
    LocalRaftSubmitter submitter() {
        return submitter;
    }

    @Override
    public void close() throws IOException {
        logRecovery.close();
        splitHost.close();
        writes.close();
        submitter.close();
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
