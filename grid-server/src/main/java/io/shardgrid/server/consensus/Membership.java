package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.server.core.ports.ClusterMembership;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster membership over the meta group: bootstrapping a cluster on one node, and adding a node
 * to the meta group and to every partition group that has fewer than RF replicas.
 *
 * <p>Map changes go through {@link #update}: read the map, compute the next one, propose it; the
 * meta state machine installs it only if its epoch is the next one, so a lost race is retried on
 * the newer map rather than overwriting it.
 */
public final class Membership implements ClusterMembership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    /** Meta group voters; more nodes still read the map through the meta group. */
    static final int META_VOTERS = 3;
    /** A proposal that lost the epoch race to another one is retried on the newer map for this long. */
    private static final Duration MAP_RACE_DEADLINE = Duration.ofSeconds(10);
    private static final RetryPolicy MAP_RACE_RETRY = RetryPolicy.exponential(Duration.ofMillis(5),
        Duration.ofMillis(200));
    /**
     * While a leader transfer runs, the partition's writes wait for it: a target that cannot take
     * over (dead, far behind) must not stall them for long. A caught-up follower takes over in tens
     * of milliseconds; the placement driver tries again in a later round.
     */
    private static final long TRANSFER_TIMEOUT_MS = 3_000;

    private final RatisNode node;
    private final RaftProperties clientProperties = new RaftProperties();

    public Membership(RatisNode node) {
        this.node = node;
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(clientProperties,
            TimeDuration.valueOf(15, TimeUnit.SECONDS));
    }

    /**
     * Creates the meta group and every partition group on this node alone and records the first
     * map. Does nothing if the node already holds groups (a restart).
     */
    public void bootstrap(int partitionCount, int replicationFactor) throws IOException {
        if (node.hasGroups()) {
            LOG.info("{}: data directory already holds {} groups; not bootstrapping again", selfId(), node.groupCount());
            return;
        }
        NodeDescriptor self = node.config().descriptor();
        RaftPeer peer = peer(self);
        List<RaftPeer> peers = List.of(peer);
        try (RaftClient client = client(GroupIds.META_GROUP, peers)) {
            client.getGroupManagementApi(peer.getId()).add(RaftGroup.valueOf(GroupIds.META_GROUP, peers));
            for (int p = 0; p < partitionCount; p++) {
                client.getGroupManagementApi(peer.getId()).add(RaftGroup.valueOf(GroupIds.partition(p), peers));
            }
        }
        PartitionMap first = PartitionMap.bootstrap(self, partitionCount, replicationFactor);
        propose(first);
        LOG.info("{}: bootstrapped a cluster of {} partitions, replication {}", selfId(), partitionCount,
            replicationFactor);
    }

    /**
     * Adds {@code joiner} to the cluster: records it in the map, makes it a meta voter while the meta
     * group has fewer than {@value #META_VOTERS}, and adds it to every partition with fewer than RF
     * replicas. Safe to repeat: steps already done are skipped.
     */
    public synchronized PartitionMap join(NodeDescriptor request) throws IOException {
        PartitionMap map = readMap();
        NodeDescriptor known = map.nodes().get(request.nodeId());
        // A rejoin (a restart) keeps what operators decided about the node.
        NodeDescriptor joiner = known == null ? request : request.withDraining(known.draining());
        if (known == null || !known.equals(joiner)) {
            map = update(m -> m.withNode(joiner));
        }
        addToMeta(joiner, map);
        for (int p = 0; p < map.partitionCount(); p++) {
            PartitionAssignment a = readMap().partition(p);
            // A partition being split off has no group yet; it gets the joiner once it is done.
            if (a.splitting() || a.replicas().contains(joiner.nodeId())
                || a.replicas().size() >= map.replicationFactor()) {
                continue;
            }
            List<RaftPeer> peers = peers(readMap(), a.replicas());
            addToGroupIfRoom(GroupIds.partition(p), peers, joiner, map.replicationFactor());
            int partition = p;
            update(m -> {
                PartitionAssignment now = m.partition(partition);
                if (now.replicas().contains(joiner.nodeId())) {
                    return null;
                }
                List<String> replicas = new ArrayList<>(now.replicas());
                replicas.add(joiner.nodeId());
                return m.withPartition(now.withReplicas(replicas, List.of()));
            });
        }
        spreadLeaders();
        PartitionMap result = readMap();
        LOG.info("{}: node {} joined; map epoch {}", selfId(), joiner.nodeId(), result.epoch());
        return result;
    }

    /**
     * Spreads partition leadership so that partition {@code p} is led by the
     * {@code p mod n}-th of its (sorted) replicas: with every node holding every partition, each
     * node leads its share and writes scale across leaders.
     */
    public void spreadLeaders() throws IOException {
        PartitionMap map = readMap();
        for (PartitionAssignment a : map.partitions()) {
            if (a.replicas().size() < 2 || a.splitting()) {
                continue;
            }
            List<String> sorted = new ArrayList<>(a.replicas());
            sorted.sort(null);
            String preferred = sorted.get(a.partitionId() % sorted.size());
            if (preferred.equals(node.leaderOf(a.partitionId()).orElse(""))) {
                continue;
            }
            try (RaftClient client = client(GroupIds.partition(a.partitionId()), peers(map, a.replicas()))) {
                client.admin().transferLeadership(RaftPeerId.valueOf(preferred), 5_000);
            } catch (IOException e) {
                LOG.warn("{}: could not move leadership of p{} to {}: {}", selfId(), a.partitionId(), preferred,
                    e.toString());
            }
        }
    }

    /** Moves leadership of {@code partitionId} to {@code nodeId}, which must hold a replica. */
    public void transferLeadership(int partitionId, String nodeId) throws IOException {
        PartitionMap map = readMap();
        PartitionAssignment a = map.partition(partitionId);
        if (!a.replicas().contains(nodeId)) {
            throw new GridException(GridErrorCode.INVALID_ARGUMENT,
                "node " + nodeId + " holds no replica of partition " + partitionId);
        }
        try (RaftClient client = client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
            RaftClientReply reply = client.admin().transferLeadership(RaftPeerId.valueOf(nodeId), TRANSFER_TIMEOUT_MS);
            if (!reply.isSuccess()) {
                throw new IOException("leadership of p" + partitionId + " did not move to " + nodeId + ": "
                    + reply.getException());
            }
        }
    }

    /**
     * Moves one replica of {@code partitionId} as safe raft steps: the target is recorded in the map
     * as a learner first (so a new meta leader sees the move and finishes it), added to the group
     * (Ratis stages it until it has caught up, by snapshot if need be, before it votes), recorded as
     * a replica; then leadership leaves the source if it has it, the source leaves the group's
     * configuration and the map, and its copy is deleted. Either side may be empty (only add, only
     * remove). Every step checks what is already done, so a repeated or resumed move is harmless.
     * Leadership never moves to a node in {@code unreachable}, and a source among them keeps its
     * copy until it returns.
     */
    public void moveReplica(int partitionId, String from, String to, Set<String> unreachable) throws IOException {
        PartitionMap map = readMap();
        checkPartition(map, partitionId);
        if (!to.isEmpty()) {
            NodeDescriptor target = map.node(to).orElseThrow(
                () -> GridException.invalidArgument("node " + to + " is not in the cluster"));
            if (!map.partition(partitionId).replicas().contains(to)) {
                update(m -> m.partition(partitionId).learners().contains(to) ? null : m.withPartition(
                    m.partition(partitionId).withReplicas(m.partition(partitionId).replicas(), List.of(to))));
                PartitionAssignment a = readMap().partition(partitionId);
                // A copy the target kept from an earlier membership (it was down when it lost it) is
                // stale: start from an empty one, which Ratis fills by snapshot. A copy the group
                // already counts (a join adding the same node right now) is not stale.
                if (!inCurrentConfiguration(readMap(), partitionId, to)) {
                    deleteStaleCopy(partitionId, target);
                }
                addToGroupIfRoom(GroupIds.partition(partitionId), peers(readMap(), a.replicas()), target,
                    Integer.MAX_VALUE);
                update(m -> {
                    PartitionAssignment now = m.partition(partitionId);
                    List<String> replicas = new ArrayList<>(now.replicas());
                    if (!replicas.contains(to)) {
                        replicas.add(to);
                    }
                    return m.withPartition(now.withReplicas(replicas, List.of()));
                });
            }
        }
        if (!from.isEmpty()) {
            removeReplica(partitionId, from, to, unreachable);
        }
    }

    private void removeReplica(int partitionId, String from, String to, Set<String> unreachable) throws IOException {
        PartitionMap map = readMap();
        PartitionAssignment a = map.partition(partitionId);
        if (a.learners().contains(from)) {
            abandonLearner(map, partitionId, from);
            return;
        }
        if (!a.replicas().contains(from)) {
            return;
        }
        List<String> remaining = new ArrayList<>(a.replicas());
        remaining.remove(from);
        if (remaining.isEmpty()) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "partition " + partitionId
                + " has no replica besides " + from + "; add one before removing it");
        }
        try (RaftClient client = client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
            // The replica just added has caught up; any other that answers will do. Without one,
            // Ratis still removes a leader: it steps down once the new configuration commits.
            Optional<String> successor = remaining.stream().filter(n -> !unreachable.contains(n))
                .min(Comparator.comparing(n -> !n.equals(to)));
            if (from.equals(node.leaderOf(partitionId).orElse("")) && successor.isPresent()) {
                try {
                    client.admin().transferLeadership(RaftPeerId.valueOf(successor.get()), TRANSFER_TIMEOUT_MS);
                } catch (IOException e) {
                    LOG.info("{}: leadership of p{} stayed on {}: {}", selfId(), partitionId, from, e.toString());
                }
            }
            RaftClientReply reply = client.admin().setConfiguration(peers(map, remaining));
            if (!reply.isSuccess()) {
                throw new IOException("could not remove " + from + " from p" + partitionId + ": " + reply.getException());
            }
        }
        update(m -> {
            PartitionAssignment now = m.partition(partitionId);
            if (!now.replicas().contains(from)) {
                return null;
            }
            List<String> replicas = new ArrayList<>(now.replicas());
            replicas.remove(from);
            return m.withPartition(now.withReplicas(replicas, now.learners()));
        });
        if (unreachable.contains(from)) {
            LOG.info("{}: {} does not answer; it drops its copy of p{} when it sees the map", selfId(), from, partitionId);
        } else {
            dropGroup(map, partitionId, from);
        }
    }

    /**
     * Rolls back an add that cannot finish (its target died or is draining): the group goes back to
     * the map's replicas, whether or not Ratis had already taken the learner in, and the map
     * forgets it.
     */
    private void abandonLearner(PartitionMap map, int partitionId, String learner) throws IOException {
        PartitionAssignment a = map.partition(partitionId);
        try (RaftClient client = client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
            RaftClientReply reply = client.admin().setConfiguration(peers(map, a.replicas()));
            if (!reply.isSuccess()) {
                throw new IOException("could not take " + learner + " out of p" + partitionId + ": "
                    + reply.getException());
            }
        }
        update(m -> {
            PartitionAssignment now = m.partition(partitionId);
            if (!now.learners().contains(learner)) {
                return null;
            }
            List<String> learners = new ArrayList<>(now.learners());
            learners.remove(learner);
            return m.withPartition(now.withReplicas(now.replicas(), learners));
        });
        dropGroup(map, partitionId, learner);
        LOG.info("{}: abandoned adding {} to p{}", selfId(), learner, partitionId);
    }

    /** Deletes {@code nodeId}'s copy of a partition it no longer replicates; a node that is down keeps it until it returns. */
    private void dropGroup(PartitionMap map, int partitionId, String nodeId) {
        try (RaftClient client = client(GroupIds.partition(partitionId), peers(map, List.of(nodeId)))) {
            client.getGroupManagementApi(RaftPeerId.valueOf(nodeId)).remove(GroupIds.partition(partitionId), true, false);
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: {} keeps its copy of p{} for now ({}); it drops it when it sees the map",
                selfId(), nodeId, partitionId, e.toString());
        }
    }

    /** Whether {@code nodeId} is in the partition group's configuration, as a replica reports it. */
    private boolean inCurrentConfiguration(PartitionMap map, int partitionId, String nodeId) {
        for (RaftPeer replica : peers(map, map.partition(partitionId).replicas())) {
            try (RaftClient client = oneShotClient(GroupIds.partition(partitionId), replica)) {
                return client.getGroupManagementApi(replica.getId()).info(GroupIds.partition(partitionId)).getGroup()
                    .getPeers().stream().anyMatch(p -> p.getId().toString().equals(nodeId));
            } catch (IOException | RuntimeException e) {
                LOG.debug("{}: {} did not describe p{}: {}", selfId(), replica.getId(), partitionId, e.toString());
            }
        }
        return false;
    }

    private void deleteStaleCopy(int partitionId, NodeDescriptor target) {
        RaftPeer peer = peer(target);
        try (RaftClient client = oneShotClient(GroupIds.partition(partitionId), peer)) {
            client.getGroupManagementApi(peer.getId()).remove(GroupIds.partition(partitionId), true, false);
            LOG.info("{}: deleted the stale copy of p{} on {}", selfId(), partitionId, target.nodeId());
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: {} has no copy of p{} to delete: {}", selfId(), target.nodeId(), partitionId, e.toString());
        }
    }

    /** Deletes this node's copy of a partition the map no longer gives it. */
    public void dropLocalGroup(int partitionId) {
        PartitionMap map = node.map();
        if (map != null) {
            dropGroup(map, partitionId, selfId());
        }
    }

    /** Records whether {@code nodeId} is being drained: a draining node gets no new replicas or leaders. */
    public PartitionMap setDraining(String nodeId, boolean draining) throws IOException {
        return update(m -> {
            NodeDescriptor d = m.node(nodeId).orElseThrow(
                () -> GridException.invalidArgument("node " + nodeId + " is not in the cluster"));
            return d.draining() == draining ? null : m.withNode(d.withDraining(draining));
        });
    }

    /** Forgets a node that holds no replica any more (drain it first). */
    public PartitionMap removeNode(String nodeId) throws IOException {
        PartitionMap map = readMap();
        if (map.node(nodeId).isEmpty()) {
            throw GridException.invalidArgument("node " + nodeId + " is not in the cluster");
        }
        for (PartitionAssignment a : map.partitions()) {
            if (a.replicas().contains(nodeId) || a.learners().contains(nodeId)) {
                throw new GridException(GridErrorCode.CONDITION_FAILED, "node " + nodeId
                    + " still holds partition " + a.partitionId() + "; drain it first (grid admin drain " + nodeId + ")");
            }
        }
        if (metaPeers(map).stream().anyMatch(p -> p.getId().toString().equals(nodeId))) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "node " + nodeId
                + " is a meta group voter; removing meta voters is not supported yet");
        }
        return update(m -> m.node(nodeId).isEmpty() ? null : m.withoutNode(nodeId));
    }

    private static void checkPartition(PartitionMap map, int partitionId) {
        if (partitionId < 0 || partitionId >= map.partitionCount()) {
            throw new GridException(GridErrorCode.UNKNOWN_PARTITION, "partition " + partitionId
                + " does not exist (0.." + (map.partitionCount() - 1) + ")");
        }
    }

    /** Reads the map linearizably from the meta group (locally if this node is a meta voter). */
    public PartitionMap readMap() throws IOException {
        PartitionMap local = node.map();
        if (node.hostsMeta() && local != null) {
            node.metaReadBarrier();
            return node.map();
        }
        if (local == null) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "this node knows no partition map yet");
        }
        try (RaftClient client = client(GroupIds.META_GROUP, metaPeers(local))) {
            RaftClientReply reply = client.io().sendReadOnly(Message.EMPTY);
            PartitionMap fetched = PartitionMapCodec.fromMessage(
                PartitionMapMessage.parseFrom(reply.getMessage().getContent().toByteArray()));
            node.rememberRemoteMap(fetched);
            return fetched;
        }
    }

    /**
     * Applies {@code change} to the current map and proposes the result, retrying lost races (after
     * a short jittered wait, so racing proposers spread out) for up to {@link #MAP_RACE_DEADLINE}.
     */
    public PartitionMap update(UnaryOperator<PartitionMap> change) throws IOException {
        RetryPolicy.Backoff backoff = MAP_RACE_RETRY.start(MAP_RACE_DEADLINE);
        do {
            PartitionMap current = readMap();
            PartitionMap next = change.apply(current);
            if (next == null) {
                return current;
            }
            if (propose(next)) {
                return next;
            }
        } while (backoff.pause());
        throw new GridException(GridErrorCode.UNAVAILABLE, "the partition map kept changing; gave up after "
            + (backoff.waits() + 1) + " proposals in " + MAP_RACE_DEADLINE.toSeconds() + " s");
    }

    private boolean propose(PartitionMap next) throws IOException {
        PartitionMap known = node.map();
        List<RaftPeer> peers = known == null ? List.of(peer(node.config().descriptor())) : metaPeers(known);
        try (RaftClient client = client(GroupIds.META_GROUP, peers)) {
            RaftClientReply reply = client.io().send(MetaStateMachine.propose(next));
            if (!reply.isSuccess()) {
                throw new IOException("meta group refused the map: " + reply.getException());
            }
            return MetaStateMachine.installed(reply.getMessage());
        }
    }

    /**
     * Makes {@code joiner} a meta voter while there are fewer than {@value #META_VOTERS}, else a
     * non-voting listener: every node then holds a replica of the map and serves it, while the
     * meta group's quorum stays small.
     */
    private void addToMeta(NodeDescriptor joiner, PartitionMap map) throws IOException {
        List<RaftPeer> voters = metaPeers(map);
        List<RaftPeer> listeners = node.metaListeners();
        RaftPeer newPeer = peer(joiner);
        boolean known = voters.stream().anyMatch(p -> p.getId().equals(newPeer.getId()))
            || listeners.stream().anyMatch(p -> p.getId().equals(newPeer.getId()));
        if (known) {
            return;
        }
        if (voters.size() < META_VOTERS) {
            addToGroupIfRoom(GroupIds.META_GROUP, voters, joiner, META_VOTERS);
            return;
        }
        List<RaftPeer> nextListeners = new ArrayList<>(listeners);
        nextListeners.add(newPeer);
        // Listeners must start as listeners: a division that starts as a follower keeps its
        // election timer, and when the meta leader dies it runs an election, finds it is no voter
        // and Ratis closes it, freezing this node's copy of the map.
        List<RaftPeer> everyone = new ArrayList<>(voters);
        nextListeners.forEach(l -> everyone.add(RaftPeer.newBuilder(l).setStartupRole(RaftPeerRole.LISTENER).build()));
        try (RaftClient client = client(GroupIds.META_GROUP, voters)) {
            try {
                client.getGroupManagementApi(newPeer.getId()).add(RaftGroup.valueOf(GroupIds.META_GROUP, everyone));
            } catch (AlreadyExistsException e) {
                LOG.debug("{}: {} already hosts the meta group", selfId(), joiner.nodeId());
            }
            RaftClientReply reply = client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(voters).setListenersInNewConf(nextListeners).build());
            if (!reply.isSuccess()) {
                throw new IOException("could not add " + joiner.nodeId() + " to the meta group as a listener: "
                    + reply.getException());
            }
        }
    }

    private void addToGroupIfRoom(RaftGroupId groupId, List<RaftPeer> current, NodeDescriptor joiner, int maxVoters)
            throws IOException {
        RaftPeer newPeer = peer(joiner);
        if (current.stream().anyMatch(p -> p.getId().equals(newPeer.getId())) || current.size() >= maxVoters) {
            return;
        }
        List<RaftPeer> next = new ArrayList<>(current);
        next.add(newPeer);
        try (RaftClient client = client(groupId, current)) {
            try {
                client.getGroupManagementApi(newPeer.getId()).add(RaftGroup.valueOf(groupId, next));
            } catch (AlreadyExistsException e) {
                LOG.debug("{}: {} already hosts {}", selfId(), joiner.nodeId(), groupId);
            }
            RaftClientReply reply = client.admin().setConfiguration(next);
            if (!reply.isSuccess()) {
                throw new IOException("could not add " + joiner.nodeId() + " to " + groupId + ": " + reply.getException());
            }
        }
    }

    private List<RaftPeer> metaPeers(PartitionMap map) {
        List<RaftPeer> local = node.metaPeers();
        if (!local.isEmpty()) {
            return local;
        }
        List<String> ids = new ArrayList<>(map.nodes().keySet());
        return peers(map, ids.subList(0, Math.min(META_VOTERS, ids.size())));
    }

    static List<RaftPeer> peers(PartitionMap map, List<String> nodeIds) {
        List<RaftPeer> peers = new ArrayList<>(nodeIds.size());
        for (String id : nodeIds) {
            NodeDescriptor d = map.node(id).orElseThrow(
                () -> new GridException(GridErrorCode.INTERNAL, "map names unknown node " + id));
            peers.add(peer(d));
        }
        return peers;
    }

    static RaftPeer peer(NodeDescriptor d) {
        return RaftPeer.newBuilder().setId(d.nodeId()).setAddress(d.raftAddress()).build();
    }

    /** For questions whose answer is only useful now: one attempt, no retries. */
    private RaftClient oneShotClient(RaftGroupId groupId, RaftPeer peer) {
        return RaftClient.newBuilder().setProperties(clientProperties).setParameters(node.raftParameters())
            .setRaftGroup(RaftGroup.valueOf(groupId, List.of(peer)))
            .setRetryPolicy(RetryPolicies.noRetry()).build();
    }

    RaftClient client(RaftGroupId groupId, List<RaftPeer> peers) {
        return RaftClient.newBuilder()
            .setProperties(clientProperties)
            .setParameters(node.raftParameters())
            .setRaftGroup(RaftGroup.valueOf(groupId, peers))
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(50,
                TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
            .build();
    }

    private String selfId() {
        return node.config().nodeId();
    }
}
