package io.shardgrid.server.transport;

import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.ClusterStatusRequest;
import io.shardgrid.proto.v1.ClusterStatusResponse;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.JoinRequest;
import io.shardgrid.proto.v1.JoinResponse;
import io.shardgrid.proto.v1.ListNodesRequest;
import io.shardgrid.proto.v1.ListNodesResponse;
import io.shardgrid.proto.v1.ListPartitionsRequest;
import io.shardgrid.proto.v1.ListPartitionsResponse;
import io.shardgrid.proto.v1.NodeInfo;
import io.shardgrid.proto.v1.NodeState;
import io.shardgrid.proto.v1.PartitionInfo;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.consensus.RatisNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The admin API this node implements so far: join, cluster status, nodes and partitions. The
 * placement operations of the proto (rebalance, move, transfer, drain, remove) answer UNIMPLEMENTED
 * until the placement driver lands. Guarded by {@link AdminTokenInterceptor}.
 */
public final class GridAdminService extends GridAdminGrpc.GridAdminImplBase {
    private final RatisNode node;
    private final Membership membership;
    private final Executor slowCalls;

    public GridAdminService(RatisNode node, Membership membership, Executor slowCalls) {
        this.node = node;
        this.membership = membership;
        this.slowCalls = slowCalls;
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
        slowCalls.execute(() -> {
            try {
                NodeDescriptor joiner = PartitionMapCodec.fromMessage(request.getNode());
                PartitionMap map = membership.join(joiner);
                out.onNext(JoinResponse.newBuilder().setMapEpoch(map.epoch()).build());
                out.onCompleted();
            } catch (IllegalArgumentException e) {
                out.onError(GrpcErrors.toStatus(GridException.invalidArgument(e.getMessage()), node::map));
            } catch (Exception e) {
                out.onError(GrpcErrors.toStatus(GrpcErrors.toGrid(e), node::map));
            }
        });
    }

    @Override
    public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
        PartitionMap map = node.routingMap();
        ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder();
        if (map != null) {
            b.setMapEpoch(map.epoch()).setPartitionCount(map.partitionCount())
                .setReplicationFactor(map.replicationFactor()).addAllNodes(nodes(map));
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> out) {
        PartitionMap map = node.routingMap();
        out.onNext(ListNodesResponse.newBuilder().addAllNodes(map == null ? List.of() : nodes(map)).build());
        out.onCompleted();
    }

    @Override
    public void listPartitions(ListPartitionsRequest request, StreamObserver<ListPartitionsResponse> out) {
        PartitionMap map = node.routingMap();
        ListPartitionsResponse.Builder b = ListPartitionsResponse.newBuilder();
        if (map != null) {
            for (PartitionAssignment a : map.partitions()) {
                if (!request.getNodeId().isEmpty() && !a.replicas().contains(request.getNodeId())) {
                    continue;
                }
                PartitionInfo.Builder p = PartitionInfo.newBuilder().setPartitionId(a.partitionId())
                    .addAllReplicaNodeIds(a.replicas()).addAllLearnerNodeIds(a.learners())
                    .setLeaderNodeId(a.leaderHint()).setConfEpoch(a.confEpoch());
                if (node.hosts(a.partitionId())) {
                    var stats = node.store(a.partitionId()).stats();
                    p.setKeys(stats.keys()).setLiveBytes(stats.liveBytes())
                        .setCommitIndex(Math.max(0, node.commitIndex(a.partitionId())))
                        .setAppliedIndex(Math.max(0, node.appliedIndex(a.partitionId())));
                }
                b.addPartitions(p);
            }
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    private static List<NodeInfo> nodes(PartitionMap map) {
        List<NodeInfo> nodes = new ArrayList<>();
        for (NodeDescriptor d : map.nodes().values()) {
            int replicas = 0;
            int leaders = 0;
            for (PartitionAssignment a : map.partitions()) {
                if (a.replicas().contains(d.nodeId())) {
                    replicas++;
                }
                if (a.leaderHint().equals(d.nodeId())) {
                    leaders++;
                }
            }
            nodes.add(NodeInfo.newBuilder().setAddress(PartitionMapCodec.toMessage(d)).setState(NodeState.NODE_STATE_UNKNOWN)
                .setReplicaCount(replicas).setLeaderCount(leaders).build());
        }
        return nodes;
    }
}
