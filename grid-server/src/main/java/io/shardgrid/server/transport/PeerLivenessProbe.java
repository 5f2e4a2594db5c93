package io.shardgrid.server.transport;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.PartitionLoad;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.server.placement.PeerProbe;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement driver's liveness probe: asks every node for its routing map once per placement
 * round. A node that does not answer within a second is reported unreachable (no replica or
 * leadership moves onto it); one that answers tells, for each partition it replicates, who leads
 * it as its own replica sees it (fresher than the meta map's hints), and for each it leads, how many
 * client writes it has appended (the driver's measure of a partition's load).
 */
public final class PeerLivenessProbe implements PeerProbe, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLivenessProbe.class);
    private static final GetPartitionMapRequest WITH_LOAD = GetPartitionMapRequest.newBuilder().setWithLoad(true).build();
    private final String selfId;
    private final Function<Integer, String> localLeader;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Set<String> lastUnreachable = ConcurrentHashMap.newKeySet();
    private final TlsContexts tls;
    /** The client token, which the routing API the probe calls asks for; empty = none. */
    private final Metadata credentials = new Metadata();

    /** @param localLeader this node's own view of a partition's leader, or null when it does not know */
    public PeerLivenessProbe(String selfId, Function<Integer, String> localLeader, TlsContexts tls,
                           String clientToken) {
        this.selfId = selfId;
        this.tls = tls;
        if (!clientToken.isEmpty()) {
            credentials.put(TokenInterceptor.AUTHORIZATION, "Bearer " + clientToken);
        }
        this.localLeader = localLeader;
    }

    @Override
    public PeerReport probe(PartitionMap map) {
        Map<Integer, String> leaders = new HashMap<>();
        Set<String> unreachable = new HashSet<>();
        Map<Integer, LeaderLoad> leaderLoad = new HashMap<>();
        for (NodeDescriptor node : map.nodes().values()) {
            PartitionMap view;
            PartitionMapMessage answer;
            if (node.nodeId().equals(selfId)) {
                for (int p = 0; p < map.partitionCount(); p++) {
                    String leader = map.partition(p).replicas().contains(selfId) ? localLeader.apply(p) : null;
                    if (leader != null && !leader.isEmpty()) {
                        leaders.putIfAbsent(p, leader);
                    }
                }
                continue;
            }
            try {
                answer = GridRoutingGrpc.newBlockingStub(channel(node.grpcAddress()))
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials))
                    .withDeadlineAfter(1, TimeUnit.SECONDS).getPartitionMap(WITH_LOAD);
                view = PartitionMapCodec.fromMessage(answer);
            } catch (RuntimeException e) {
                unreachable.add(node.nodeId()); // its partitions keep the map's hint
                if (lastUnreachable.add(node.nodeId())) {
                    LOG.info("{}: {} does not answer at {}: {}", selfId, node.nodeId(), node.grpcAddress(), e.toString());
                }
                continue;
            }
            for (PartitionLoad load : answer.getLeaderLoadList()) {
                leaderLoad.put(load.getPartitionId(), new LeaderLoad(node.nodeId(),
                    load.getWritesTotal() + load.getReadsTotal(), load.getLiveBytes()));
            }
            if (lastUnreachable.remove(node.nodeId())) {
                LOG.info("{}: {} answers again", selfId, node.nodeId());
            }
            for (int p = 0; p < Math.min(map.partitionCount(), view.partitionCount()); p++) {
                if (map.partition(p).replicas().contains(node.nodeId()) && view.partition(p).hasLeaderHint()) {
                    leaders.putIfAbsent(p, view.partition(p).leaderHint());
                }
            }
        }
        return new PeerReport(leaders, unreachable, leaderLoad);
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, tls::channel);
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
