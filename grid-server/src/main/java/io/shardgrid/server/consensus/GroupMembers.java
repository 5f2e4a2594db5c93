package io.shardgrid.server.consensus;

import static io.shardgrid.server.consensus.RaftClients.peer;
import static io.shardgrid.server.consensus.RaftClients.peers;

import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import java.util.List;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds one node to a raft group (its division, then the group's configuration), and deletes a
 * node's copy of a partition it no longer replicates.
 */
final class GroupMembers {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMembers.class);

    private final RaftClients clients;
    private final String selfId;

    GroupMembers(RaftClients clients, String selfId) {
        this.clients = clients;
        this.selfId = selfId;
    }

    /** Adds {@code joiner} to the group unless it is in it already or the group has {@code maxVoters}. */
    void addIfRoom(RaftGroupId groupId, List<RaftPeer> current, NodeDescriptor joiner, int maxVoters)
            throws IOException {
        RaftPeer newPeer = peer(joiner);
        if (current.stream().anyMatch(p -> p.getId().equals(newPeer.getId())) || current.size() >= maxVoters) {
            return;
        }
        try (RaftClient joinerClient = clients.client(groupId, List.of(newPeer))) {
            // The joiner's division starts with the group's current configuration, which does not
            // name it: Ratis then waits for the leader ("initializing") instead of running an
            // election timer, so a short first election (RatisTuning) cannot make it campaign
            // before the leader has reached it, find itself outside the configuration and close.
            joinerClient.getGroupManagementApi(newPeer.getId()).add(RaftGroup.valueOf(groupId, current));
        } catch (AlreadyExistsException e) {
            LOG.debug("{}: {} already hosts {}", selfId, joiner.nodeId(), groupId);
        }
        try (RaftClient client = clients.client(groupId, current)) {
            // ADD, not the whole list: the leader adds the joiner to its own current configuration, so a
            // map that lags behind raft (a move it has not recorded yet) can never drop a member.
            RaftClientReply reply = client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(List.of(newPeer))
                .setMode(SetConfigurationRequest.Mode.ADD)
                .build());
            if (!reply.isSuccess()) {
                throw new IOException("could not add " + joiner.nodeId() + " to " + groupId + ": " + reply.getException());
            }
        }
    }

    /** Deletes {@code nodeId}'s copy of a partition it no longer replicates; a node that is down keeps it until it returns. */
    void dropGroup(PartitionMap map, int partitionId, String nodeId) {
        try (RaftClient client = clients.client(GroupIds.partition(partitionId), peers(map, List.of(nodeId)))) {
            client.getGroupManagementApi(RaftPeerId.valueOf(nodeId)).remove(GroupIds.partition(partitionId), true, false);
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: {} keeps its copy of p{} for now ({}); it drops it when it sees the map",
                selfId, nodeId, partitionId, e.toString());
        }
    }
}
