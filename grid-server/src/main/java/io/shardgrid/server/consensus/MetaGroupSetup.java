package io.shardgrid.server.consensus;

import static io.shardgrid.server.consensus.RaftClients.peer;

import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a joining node its place in the meta group: a voter while there are fewer than
 * {@value RaftClients#META_VOTERS}, else a non-voting listener. Every node then holds a replica of
 * the map and serves it, while the meta group's quorum stays small.
 */
final class MetaGroupSetup {
    private static final Logger LOG = LoggerFactory.getLogger(MetaGroupSetup.class);

    private final RatisNode node;
    private final RaftClients clients;
    private final GroupMembers members;

    MetaGroupSetup(RatisNode node, RaftClients clients, GroupMembers members) {
        this.node = node;
        this.clients = clients;
        this.members = members;
    }

    /** Adds {@code joiner} to the meta group as a voter or a listener; nothing if it is in it already. */
    void addToMeta(NodeDescriptor joiner, PartitionMap map) throws IOException {
        List<RaftPeer> voters = clients.metaPeers(map);
        List<RaftPeer> listeners = node.meta().listeners();
        RaftPeer newPeer = peer(joiner);
        boolean known = voters.stream().anyMatch(p -> p.getId().equals(newPeer.getId()))
            || listeners.stream().anyMatch(p -> p.getId().equals(newPeer.getId()));
        if (known) {
            return;
        }
        if (voters.size() < RaftClients.META_VOTERS) {
            members.addIfRoom(GroupIds.META_GROUP, voters, joiner, RaftClients.META_VOTERS);
            return;
        }
        List<RaftPeer> nextListeners = new ArrayList<>(listeners);
        nextListeners.add(newPeer);
        // Listeners must start as listeners: a division that starts as a follower keeps its
        // election timer, and when the meta leader dies it runs an election, finds it is no voter
        // and Ratis closes it, freezing this node's copy of the map.
        List<RaftPeer> everyone = new ArrayList<>(voters);
        nextListeners.forEach(l -> everyone.add(RaftPeer.newBuilder(l).setStartupRole(RaftPeerRole.LISTENER).build()));
        try (RaftClient client = clients.client(GroupIds.META_GROUP, voters)) {
            try {
                client.getGroupManagementApi(newPeer.getId()).add(RaftGroup.valueOf(GroupIds.META_GROUP, everyone));
            } catch (AlreadyExistsException e) {
                LOG.debug("{}: {} already hosts the meta group", node.config().nodeId(), joiner.nodeId());
            }
            RaftClientReply reply = client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(voters).setListenersInNewConf(nextListeners).build());
            if (!reply.isSuccess()) {
                throw new IOException("could not add " + joiner.nodeId() + " to the meta group as a listener: "
                    + reply.getException());
            }
        }
    }
}
