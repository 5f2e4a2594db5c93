package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.config.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

/**
 * Makes the raft clients membership changes talk to groups through, one per call, with this node's
 * raft transport (its TLS), and names the peers of a group from the map.
 */
final class RaftClients {
    /** Meta group voters; more nodes still read the map through the meta group. */
    static final int META_VOTERS = ServerConfig.META_VOTERS;

    private final RatisNode node;
    private final RaftProperties clientProperties = new RaftProperties();

    RaftClients(RatisNode node) {
        this.node = node;
        RaftClientConfigKeys.Rpc.setRequestTimeout(clientProperties, TimeDuration.valueOf(15, TimeUnit.SECONDS));
    }

    /**
     * A client that retries (up to 200 times, 50 ms apart, as long as 50 × 200 ms did): for steps that
     * must get through. Short sleeps because the usual failure is brief: a new leader not ready until
     * its first entry commits, or a redirect to the leader; 200 ms sleeps made a founding's first map
     * take 0.7 s on a group that already had a leader.
     */
    RaftClient client(RaftGroupId groupId, List<RaftPeer> peers) {
        return client(groupId, peers, Optional.empty());
    }

    /**
     * As {@link #client(RaftGroupId, List)}, sending first to {@code leader} when it is one of
     * {@code peers}: otherwise the first request goes to the first peer, and a follower's redirect
     * costs a retry's sleep.
     */
    RaftClient client(RaftGroupId groupId, List<RaftPeer> peers, Optional<String> leader) {
        RaftClient.Builder builder = RaftClient.newBuilder()
            .setProperties(clientProperties)
            .setParameters(node.raftParameters())
            .setRaftGroup(RaftGroup.valueOf(groupId, peers))
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(200,
                TimeDuration.valueOf(50, TimeUnit.MILLISECONDS)));
        leader.flatMap(id -> peers.stream().map(RaftPeer::getId).filter(p -> p.toString().equals(id)).findFirst())
            .ifPresent(builder::setLeaderId);
        return builder.build();
    }

    /** For questions whose answer is only useful now: one attempt, no retries. */
    RaftClient oneShotClient(RaftGroupId groupId, RaftPeer peer) {
        return RaftClient.newBuilder().setProperties(clientProperties).setParameters(node.raftParameters())
            .setRaftGroup(RaftGroup.valueOf(groupId, List.of(peer)))
            .setRetryPolicy(RetryPolicies.noRetry()).build();
    }

    /**
     * The meta group's voters as the local meta replica sees them, else the map's first
     * {@value #META_VOTERS} nodes.
     */
    List<RaftPeer> metaPeers(PartitionMap map) {
        List<RaftPeer> local = node.meta().voters();
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
}
