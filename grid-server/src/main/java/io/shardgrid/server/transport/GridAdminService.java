package io.shardgrid.server.transport;

import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.core.ports.SplitResult;
import io.shardgrid.common.routing.HashRange;
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
import io.shardgrid.proto.v1.DrainRequest;
import io.shardgrid.proto.v1.MoveReplicaRequest;
import io.shardgrid.proto.v1.OperatorResponse;
import io.shardgrid.proto.v1.RebalanceRequest;
import io.shardgrid.proto.v1.RebalanceResponse;
import io.shardgrid.proto.v1.RemoveNodeRequest;
import io.shardgrid.proto.v1.SplitRequest;
import io.shardgrid.proto.v1.SplitResponse;
import io.shardgrid.proto.v1.TransferLeaderRequest;
import io.shardgrid.server.core.ports.ClusterMembership;
import io.shardgrid.server.core.ports.LocalReplicas;
import io.shardgrid.server.core.ports.PartitionMaps;
import io.shardgrid.server.placement.PlacementDriver;
import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.SplitPartition;
import io.shardgrid.server.placement.plan.TransferLeader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

/**
 * The admin API: join, cluster status, nodes and partitions, and the placement operations
 * (rebalance, move, transfer leader, drain, remove) handed to the {@link PlacementDriver}. Guarded
 * by {@link TokenInterceptor}. Node liveness is known on the meta leader only; status answers
 * name it so a caller can ask it.
 */
public final class GridAdminService extends GridAdminGrpc.GridAdminImplBase {
    private final PartitionMaps maps;
    private final LocalReplicas localReplicas;
    private final ClusterMembership membership;
    private final PlacementDriver placement;
    private final Executor slowCalls;
    private final long downAfterMs;

    public GridAdminService(PartitionMaps maps, LocalReplicas replicas, ClusterMembership membership,
                            PlacementDriver placement, Executor slowCalls, long downAfterMs) {
        this.maps = maps;
        this.localReplicas = replicas;
        this.membership = membership;
        this.placement = placement;
        this.slowCalls = slowCalls;
        this.downAfterMs = downAfterMs;
    }

    /** Runs a slow admin call off the transport thread, turning failures into grid errors. */
    private <T> void slow(StreamObserver<T> out, Callable<T> call) {
        slowCalls.execute(() -> {
            try {
                out.onNext(call.call());
                out.onCompleted();
            } catch (IllegalArgumentException e) {
                out.onError(GrpcErrors.toStatus(GridException.invalidArgument(e.getMessage()), maps::map));
            } catch (Exception e) {
                out.onError(GrpcErrors.toStatus(GrpcErrors.toGrid(e), maps::map));
            }
        });
    }

    @Override
    public void rebalance(RebalanceRequest request, StreamObserver<RebalanceResponse> out) {
        slow(out, () -> {
            List<Operator> ops = placement.rebalance(request.getDryRun());
            RebalanceResponse.Builder b = RebalanceResponse.newBuilder();
            long bytes = 0;
            for (Operator op : ops) {
                b.addOperators(toMessage(0, op, request.getDryRun()
                    ? io.shardgrid.proto.v1.Operator.State.PLANNED : io.shardgrid.proto.v1.Operator.State.RUNNING));
                bytes += op instanceof MoveReplica m ? m.bytesToCopy() : 0;
            }
            return b.setBytesToCopy(bytes).build();
        });
    }

    @Override
    public void moveReplica(MoveReplicaRequest request, StreamObserver<OperatorResponse> out) {
        slow(out, () -> {
            if (request.getFromNodeId().isEmpty() && request.getToNodeId().isEmpty()) {
                throw GridException.invalidArgument("a move needs --from, --to or both");
            }
            Operator op = placement.move(request.getPartitionId(), request.getFromNodeId(), request.getToNodeId());
            return OperatorResponse.newBuilder()
                .addOperators(toMessage(0, op, io.shardgrid.proto.v1.Operator.State.RUNNING)).build();
        });
    }

    @Override
    public void transferLeader(TransferLeaderRequest request, StreamObserver<OperatorResponse> out) {
        slow(out, () -> {
            if (request.getToNodeId().isEmpty()) {
                throw GridException.invalidArgument("transfer-leader needs the target node (--to)");
            }
            Operator op = placement.transferLeader(request.getPartitionId(), request.getToNodeId());
            return OperatorResponse.newBuilder()
                .addOperators(toMessage(0, op, io.shardgrid.proto.v1.Operator.State.DONE)).build();
        });
    }

    @Override
    public void split(SplitRequest request, StreamObserver<SplitResponse> out) {
        slow(out, () -> {
            SplitResult done = placement.split(request.getPartitionId());
            PartitionMap map = done.map();
            return SplitResponse.newBuilder().setPartitionId(done.parentId()).setChildPartitionId(done.childId())
                .setMapEpoch(map.epoch()).setRange(range(map.partition(done.parentId()).range()))
                .setChildRange(range(map.partition(done.childId()).range())).build();
        });
    }

    @Override
    public void drain(DrainRequest request, StreamObserver<OperatorResponse> out) {
        slow(out, () -> {
            OperatorResponse.Builder b = OperatorResponse.newBuilder();
            for (Operator op : placement.drain(request.getNodeId())) {
                b.addOperators(toMessage(0, op, io.shardgrid.proto.v1.Operator.State.PLANNED));
            }
            return b.build();
        });
    }

    @Override
    public void removeNode(RemoveNodeRequest request, StreamObserver<OperatorResponse> out) {
        slow(out, () -> {
            placement.remove(request.getNodeId());
            return OperatorResponse.getDefaultInstance();
        });
    }

    private static io.shardgrid.proto.v1.HashRange range(HashRange r) {
        return io.shardgrid.proto.v1.HashRange.newBuilder().setPrefixBits(r.bits()).setPrefix(r.prefix()).build();
    }

    private static io.shardgrid.proto.v1.Operator toMessage(long id, Operator op,
                                                            io.shardgrid.proto.v1.Operator.State state) {
        io.shardgrid.proto.v1.Operator.Builder b = io.shardgrid.proto.v1.Operator.newBuilder().setId(id)
            .setPartitionId(op.partitionId()).setState(state);
        if (op instanceof MoveReplica m) {
            b.setKind(m.fromNodeId().isEmpty() ? io.shardgrid.proto.v1.Operator.Kind.ADD_LEARNER
                    : m.toNodeId().isEmpty() ? io.shardgrid.proto.v1.Operator.Kind.REMOVE_REPLICA
                    : io.shardgrid.proto.v1.Operator.Kind.MOVE_REPLICA)
                .setFromNodeId(m.fromNodeId()).setToNodeId(m.toNodeId()).setBytesToCopy(m.bytesToCopy());
        } else if (op instanceof TransferLeader t) {
            b.setKind(io.shardgrid.proto.v1.Operator.Kind.TRANSFER_LEADER)
                .setFromNodeId(t.fromNodeId()).setToNodeId(t.toNodeId());
        } else if (op instanceof SplitPartition split) {
            b.setKind(io.shardgrid.proto.v1.Operator.Kind.SPLIT).setDetail(split.reason());
        }
        return b.build();
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
        slow(out, () -> {
            PartitionMap map = membership.join(PartitionMapCodec.fromMessage(request.getNode()));
            return JoinResponse.newBuilder().setMapEpoch(map.epoch()).build();
        });
    }

    @Override
    public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
        slow(out, () -> {
            PartitionMap map = maps.routingMap();
            ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder();
            if (map != null) {
                Map<Integer, String> leaders = placement.reportedLeaders(map);
                b.setMapEpoch(map.epoch()).setPartitionCount(map.partitionCount())
                    .setReplicationFactor(map.replicationFactor()).addAllNodes(nodes(map, leaders))
                    .setLeaderlessPartitions(map.partitionCount() - leaders.size())
                    .setMetaLeaderNodeId(maps.metaLeaderId().orElse(""));
                for (PlacementDriver.RunningOperator r : placement.running()) {
                    b.addOperatorsInFlight(toMessage(r.id(), r.operator(), io.shardgrid.proto.v1.Operator.State.RUNNING));
                }
                for (PartitionAssignment a : map.partitions()) {
                    for (String learner : a.learners()) {
                        boolean known = placement.running().stream().anyMatch(r -> r.operator().partitionId()
                            == a.partitionId());
                        if (!known) {
                            b.addOperatorsInFlight(toMessage(0, new MoveReplica(a.partitionId(), "", learner, 0),
                                io.shardgrid.proto.v1.Operator.State.RUNNING));
                        }
                    }
                }
            }
            return b.build();
        });
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> out) {
        slow(out, () -> {
            PartitionMap map = maps.routingMap();
            return ListNodesResponse.newBuilder()
                .addAllNodes(map == null ? List.of() : nodes(map, placement.reportedLeaders(map))).build();
        });
    }

    @Override
    public void listPartitions(ListPartitionsRequest request, StreamObserver<ListPartitionsResponse> out) {
        slow(out, () -> {
            PartitionMap map = maps.routingMap();
            ListPartitionsResponse.Builder b = ListPartitionsResponse.newBuilder();
            if (map == null) {
                return b.build();
            }
            Map<Integer, String> leaders = placement.reportedLeaders(map);
            for (PartitionAssignment a : map.partitions()) {
                if (!request.getNodeId().isEmpty() && !a.replicas().contains(request.getNodeId())) {
                    continue;
                }
                PartitionInfo.Builder p = PartitionInfo.newBuilder().setPartitionId(a.partitionId())
                    .addAllReplicaNodeIds(a.replicas()).addAllLearnerNodeIds(a.learners())
                    .setLeaderNodeId(leaders.getOrDefault(a.partitionId(), "")).setConfEpoch(a.confEpoch())
                    .setRange(range(a.range()));
                if (localReplicas.hosts(a.partitionId())) {
                    var stats = localReplicas.store(a.partitionId()).stats();
                    p.setKeys(stats.keys()).setLiveBytes(stats.liveBytes()).setAllocatedBytes(stats.allocatedBytes())
                        .setExpiredCount(stats.expiredCount()).setEvictedCount(stats.evictedCount())
                        .setCommitIndex(Math.max(0, localReplicas.commitIndex(a.partitionId())))
                        .setAppliedIndex(Math.max(0, localReplicas.appliedIndex(a.partitionId())));
                }
                b.addPartitions(p);
            }
            return b.build();
        });
    }

    /**
     * Replica and leader counts per node. Leaders are those the partitions' own replicas report
     * now: the map's hints can be minutes old after transfers, and a partition whose election is
     * running counts for nobody (the status's leaderless count).
     */
    private List<NodeInfo> nodes(PartitionMap map, Map<Integer, String> leaders) {
        Map<String, Long> silence = placement.nodeSilenceMs();
        List<NodeInfo> nodes = new ArrayList<>();
        for (NodeDescriptor d : map.nodes().values()) {
            int replicas = 0;
            int leads = 0;
            for (PartitionAssignment a : map.partitions()) {
                if (a.replicas().contains(d.nodeId())) {
                    replicas++;
                }
                if (d.nodeId().equals(leaders.get(a.partitionId()))) {
                    leads++;
                }
            }
            NodeState state;
            Long silentMs = silence.get(d.nodeId());
            if (d.draining()) {
                state = NodeState.DRAINING;
            } else if (silentMs == null) {
                state = silence.isEmpty() ? NodeState.NODE_STATE_UNKNOWN : NodeState.UP;
            } else {
                state = silentMs < downAfterMs ? NodeState.UP : NodeState.DOWN;
            }
            NodeInfo.Builder info = NodeInfo.newBuilder().setAddress(PartitionMapCodec.toMessage(d)).setState(state)
                .setZone(d.zone()).setReplicaCount(replicas).setLeaderCount(leads);
            if (silentMs != null) {
                info.setLastHeartbeatMs(System.currentTimeMillis() - silentMs);
            }
            nodes.add(info.build());
        }
        return nodes;
    }
}
