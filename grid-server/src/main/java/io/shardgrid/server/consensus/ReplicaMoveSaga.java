package io.shardgrid.server.consensus;

import static io.shardgrid.server.consensus.RaftClients.peer;
import static io.shardgrid.server.consensus.RaftClients.peers;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one replica of a partition as safe raft steps, recorded in the map as it goes so that a new
 * meta leader finishes or rolls back a move the old one started (see {@link #moveReplica}).
 */
final class ReplicaMoveSaga {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaMoveSaga.class);
    /**
     * While a leader transfer runs, the partition's writes wait for it: a target that cannot take
     * over (dead, far behind) must not stall them for long. A caught-up follower takes over in tens
     * of milliseconds; the placement driver tries again in a later round.
     */
    static final long TRANSFER_TIMEOUT_MS = 3_000;

    private final RatisNode node;
    private final RaftClients clients;
    private final PartitionMapUpdater maps;
    private final GroupMembers members;

    ReplicaMoveSaga(RatisNode node, RaftClients clients, PartitionMapUpdater maps, GroupMembers members) {
        this.node = node;
        this.clients = clients;
        this.maps = maps;
        this.members = members;
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
    void moveReplica(int partitionId, String from, String to, Set<String> unreachable) throws IOException {
        PartitionMap map = maps.readMap();
        checkPartition(map, partitionId);
        if (!to.isEmpty()) {
            NodeDescriptor target = map.node(to).orElseThrow(
                () -> GridException.invalidArgument("node " + to + " is not in the cluster"));
            if (!map.partition(partitionId).replicas().contains(to)) {
                maps.update(m -> m.partition(partitionId).learners().contains(to) ? null : m.withPartition(
                    m.partition(partitionId).withReplicas(m.partition(partitionId).replicas(), List.of(to))));
                PartitionAssignment a = maps.readMap().partition(partitionId);
                // A copy the target kept from an earlier membership (it was down when it lost it) is
                // stale: start from an empty one, which Ratis fills by snapshot. A copy the group
                // already counts (a join adding the same node right now) is not stale.
                if (!inCurrentConfiguration(maps.readMap(), partitionId, to)) {
                    deleteStaleCopy(partitionId, target);
                }
                members.addIfRoom(GroupIds.partition(partitionId), peers(maps.readMap(), a.replicas()), target,
                    Integer.MAX_VALUE);
                maps.update(m -> {
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
        PartitionMap map = maps.readMap();
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
        try (RaftClient client = clients.client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
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
        maps.update(m -> {
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
            members.dropGroup(map, partitionId, from);
        }
    }

    /**
     * Rolls back an add that cannot finish (its target died or is draining): the group goes back to
     * the map's replicas, whether or not Ratis had already taken the learner in, and the map
     * forgets it.
     */
    private void abandonLearner(PartitionMap map, int partitionId, String learner) throws IOException {
        PartitionAssignment a = map.partition(partitionId);
        try (RaftClient client = clients.client(GroupIds.partition(partitionId), peers(map, a.replicas()))) {
            RaftClientReply reply = client.admin().setConfiguration(peers(map, a.replicas()));
            if (!reply.isSuccess()) {
                throw new IOException("could not take " + learner + " out of p" + partitionId + ": "
                    + reply.getException());
            }
        }
        maps.update(m -> {
            PartitionAssignment now = m.partition(partitionId);
            if (!now.learners().contains(learner)) {
                return null;
            }
            List<String> learners = new ArrayList<>(now.learners());
            learners.remove(learner);
            return m.withPartition(now.withReplicas(now.replicas(), learners));
        });
        members.dropGroup(map, partitionId, learner);
        LOG.info("{}: abandoned adding {} to p{}", selfId(), learner, partitionId);
    }

    private static void checkPartition(PartitionMap map, int partitionId) {
        if (partitionId < 0 || partitionId >= map.partitionCount()) {
            throw new GridException(GridErrorCode.UNKNOWN_PARTITION, "partition " + partitionId
                + " does not exist (0.." + (map.partitionCount() - 1) + ")");
        }
    }

    /** Whether {@code nodeId} is in the partition group's configuration, as a replica reports it. */
    private boolean inCurrentConfiguration(PartitionMap map, int partitionId, String nodeId) {
        for (RaftPeer replica : peers(map, map.partition(partitionId).replicas())) {
            try (RaftClient client = clients.oneShotClient(GroupIds.partition(partitionId), replica)) {
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
        try (RaftClient client = clients.oneShotClient(GroupIds.partition(partitionId), peer)) {
            client.getGroupManagementApi(peer.getId()).remove(GroupIds.partition(partitionId), true, false);
            LOG.info("{}: deleted the stale copy of p{} on {}", selfId(), partitionId, target.nodeId());
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: {} has no copy of p{} to delete: {}", selfId(), target.nodeId(), partitionId, e.toString());
        }
    }

    private String selfId() {
        return node.config().nodeId();
    }
}
