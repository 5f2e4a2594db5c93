package io.shardgrid.server.consensus;

import static io.shardgrid.server.consensus.RaftClients.peers;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.core.ports.ClusterMembership;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster membership over the meta group: bootstrapping a cluster on one node, adding a node to the
 * meta group ({@link MetaGroupSetup}) and to every partition group that has fewer than RF replicas,
 * spreading leaders, and the admin entry points that move replicas ({@link ReplicaMoveSaga}), drain
 * and forget nodes.
 *
 * <p>Map changes go through {@link #update}, a compare-and-set loop ({@link PartitionMapUpdater}):
 * a lost race is retried on the newer map rather than overwriting it.
 */
public final class Membership implements ClusterMembership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final RatisNode node;
    private final RaftClients clients;
    private final PartitionMapUpdater maps;
    private final GroupMembers members;
    private final MetaGroupSetup metaSetup;
    private final ReplicaMoveSaga moves;
    private final ClusterFounding founding;

    public Membership(RatisNode node) {
        this.node = node;
        this.clients = new RaftClients(node);
        this.maps = new PartitionMapUpdater(node, clients);
        this.members = new GroupMembers(clients, node.config().nodeId());
        this.metaSetup = new MetaGroupSetup(node, clients, members);
        this.moves = new ReplicaMoveSaga(node, clients, maps, members);
        this.founding = new ClusterFounding(node, clients, maps);
    }

    /**
     * Creates the meta group and every partition group and records the first map: on this node
     * alone ({@code expectedNodes} 1), or on this node and the first {@code expectedNodes - 1} to
     * join it, all at once ({@link ClusterFounding}). A founding that was cut short is finished
     * instead; a restart (the node already holds groups) does nothing more.
     */
    public void bootstrap(int partitionCount, int replicationFactor, int expectedNodes) throws IOException {
        if (founding.resumeIfInterrupted()) {
            return;
        }
        if (node.hasGroups()) {
            LOG.info("{}: data directory already holds {} groups; not bootstrapping again", selfId(), node.groupCount());
            return;
        }
        PartitionMap first = founding.found(expectedNodes, partitionCount, replicationFactor);
        LOG.info("{}: bootstrapped a cluster of {} partitions, replication {}, on {}", selfId(), partitionCount,
            replicationFactor, first.nodes().keySet());
    }

    /**
     * Adds {@code joiner} to the cluster: records it in the map, makes it a meta voter while the meta
     * group has fewer than {@value RaftClients#META_VOTERS}, and adds it to every partition with fewer than RF
     * replicas. Safe to repeat: steps already done are skipped.
     */
    public PartitionMap join(NodeDescriptor request) throws IOException {
        Optional<PartitionMap> founded = founding.joinIfFounding(request);
        return founded.isPresent() ? founded.get() : joinFounded(request);
    }

    private synchronized PartitionMap joinFounded(NodeDescriptor request) throws IOException {
        PartitionMap map = readMap();
        NodeDescriptor known = map.nodes().get(request.nodeId());
        // A rejoin (a restart) keeps what operators decided about the node.
        NodeDescriptor joiner = known == null ? request : request.withDraining(known.draining());
        if (known == null || !known.equals(joiner)) {
            map = update(m -> m.withNode(joiner));
        }
        metaSetup.addToMeta(joiner, map);
        PartitionMap before = readMap();
        List<Integer> shortOfReplicas = new ArrayList<>();
        for (PartitionAssignment a : before.partitions()) {
            // A partition being split off has no group yet; it gets the joiner once it is done.
            if (!a.splitting() && !a.replicas().contains(joiner.nodeId())
                && a.replicas().size() < before.replicationFactor()) {
                shortOfReplicas.add(a.partitionId());
            }
        }
        // The groups take the joiner in parallel; then the map records every group that did.
        Set<Integer> added = ConcurrentHashMap.newKeySet();
        try {
            GroupSteps.runAll(selfId() + "-join", shortOfReplicas, p -> {
                PartitionMap now = readMap(); // the latest replicas: a placement move may have run meanwhile
                PartitionAssignment a = now.partition(p);
                if (!a.splitting() && !a.replicas().contains(joiner.nodeId())
                    && a.replicas().size() < now.replicationFactor()) {
                    members.addIfRoom(GroupIds.partition(p), peers(now, a.replicas()), joiner, now.replicationFactor());
                    added.add(p);
                }
            });
        } finally {
            // Even when some group failed: the map must name every group the joiner is now in.
            recordReplica(joiner.nodeId(), added);
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
        List<Integer> moving = new ArrayList<>();
        for (PartitionAssignment a : map.partitions()) {
            if (a.replicas().size() >= 2 && !a.splitting()
                && !preferredLeader(a).equals(node.leaderOf(a.partitionId()).orElse(""))) {
                moving.add(a.partitionId());
            }
        }
        GroupSteps.runAll(selfId() + "-spread", moving, p -> {
            PartitionAssignment a = map.partition(p);
            try (RaftClient client = clients.client(GroupIds.partition(p), peers(map, a.replicas()))) {
                client.admin().transferLeadership(RaftPeerId.valueOf(preferredLeader(a)), 5_000);
            } catch (IOException e) {
                LOG.warn("{}: could not move leadership of p{} to {}: {}", selfId(), p, preferredLeader(a),
                    e.toString());
            }
        });
    }

    /**
     * Records {@code nodeId} as a replica of each of {@code partitionIds}: one map change per
     * partition, since each change moves the epoch by exactly one (the meta group's compare-and-set).
     */
    private void recordReplica(String nodeId, Set<Integer> partitionIds) throws IOException {
        for (int p : new TreeSet<>(partitionIds)) {
            update(m -> {
                PartitionAssignment now = m.partition(p);
                if (now.replicas().contains(nodeId)) {
                    return null;
                }
                List<String> replicas = new ArrayList<>(now.replicas());
                replicas.add(nodeId);
                return m.withPartition(now.withReplicas(replicas, List.of()));
            });
        }
    }

    private static String preferredLeader(PartitionAssignment a) {
        List<String> sorted = new ArrayList<>(a.replicas());
        sorted.sort(null);
        return sorted.get(a.partitionId() % sorted.size());
    }

    /** Moves leadership of {@code partitionId} to {@code nodeId}, which must hold a replica. */
    public void transferLeadership(int partitionId, String nodeId) throws IOException {
        PartitionMap map = readMap();
        PartitionAssignment a = map.partition(partitionId);
        if (!a.replicas().contains(nodeId)) {
            throw new GridException(GridErrorCode.INVALID_ARGUMENT,
                "node " + nodeId + " holds no replica of partition " + partitionId);
        }
        try (RaftClient client = clients.client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
            RaftClientReply reply = client.admin().transferLeadership(RaftPeerId.valueOf(nodeId),
                ReplicaMoveSaga.TRANSFER_TIMEOUT_MS);
            if (!reply.isSuccess()) {
                throw new IOException("leadership of p" + partitionId + " did not move to " + nodeId + ": "
                    + reply.getException());
            }
        }
    }

    /**
     * Moves one replica of {@code partitionId} as safe raft steps (see {@link ReplicaMoveSaga}): the
     * target is added as a learner, caught up and made a replica, then the source leaves. Either
     * side may be empty (only add, only remove); a repeated or resumed move is harmless. Leadership
     * never moves to a node in {@code unreachable}, and a source among them keeps its copy until it
     * returns.
     */
    public void moveReplica(int partitionId, String from, String to, Set<String> unreachable) throws IOException {
        moves.moveReplica(partitionId, from, to, unreachable);
    }

    /** Deletes this node's copy of a partition the map no longer gives it. */
    public void dropLocalGroup(int partitionId) {
        PartitionMap map = node.map();
        if (map != null) {
            members.dropGroup(map, partitionId, selfId());
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
        if (clients.metaPeers(map).stream().anyMatch(p -> p.getId().toString().equals(nodeId))) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "node " + nodeId
                + " is a meta group voter; removing meta voters is not supported yet");
        }
        return update(m -> m.node(nodeId).isEmpty() ? null : m.withoutNode(nodeId));
    }

    /** Reads the map linearizably from the meta group (locally if this node is a meta voter). */
    public PartitionMap readMap() throws IOException {
        return maps.readMap();
    }

    /**
     * Applies {@code change} to the current map and proposes the result, retrying lost races on the
     * newer map; a change returning null leaves the map as it is.
     */
    public PartitionMap update(UnaryOperator<PartitionMap> change) throws IOException {
        return maps.update(change);
    }

    /** A raft client to {@code peers} of {@code groupId} that retries, for one call. */
    RaftClient client(RaftGroupId groupId, List<RaftPeer> peers) {
        return clients.client(groupId, peers);
    }

    private String selfId() {
        return node.config().nodeId();
    }
}
