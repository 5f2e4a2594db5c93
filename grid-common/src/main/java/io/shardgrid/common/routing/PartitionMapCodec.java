package io.shardgrid.common.routing;

import io.shardgrid.proto.v1.NodeAddress;
import io.shardgrid.proto.v1.PartitionMapMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts the partition map to and from its wire form, {@code PartitionMapMessage}. */
public final class PartitionMapCodec {
    private PartitionMapCodec() {
    }

    public static PartitionMapMessage toMessage(PartitionMap map) {
        PartitionMapMessage.Builder b = PartitionMapMessage.newBuilder()
            .setEpoch(map.epoch())
            .setPartitionCount(map.partitionCount())
            .setReplicationFactor(map.replicationFactor());
        for (NodeDescriptor node : map.nodes().values()) {
            b.addNodes(toMessage(node));
        }
        for (PartitionAssignment p : map.partitions()) {
            io.shardgrid.proto.v1.PartitionAssignment.Builder a = io.shardgrid.proto.v1.PartitionAssignment.newBuilder()
                .setPartitionId(p.partitionId())
                .addAllReplicaNodeIds(p.replicas())
                .addAllLearnerNodeIds(p.learners())
                .setLeaderNodeId(p.leaderHint())
                .setConfEpoch(p.confEpoch())
                .setRange(io.shardgrid.proto.v1.HashRange.newBuilder()
                    .setPrefixBits(p.range().bits()).setPrefix(p.range().prefix()));
            if (p.splitting()) {
                a.setSplitting(true).setSplitParent(p.splitParent());
            }
            b.addPartitions(a);
        }
        return b.build();
    }

    public static PartitionMap fromMessage(PartitionMapMessage m) {
        Map<String, NodeDescriptor> nodes = new LinkedHashMap<>();
        for (NodeAddress a : m.getNodesList()) {
            NodeDescriptor node = fromMessage(a);
            nodes.put(node.nodeId(), node);
        }
        List<PartitionAssignment> partitions = new ArrayList<>(m.getPartitionsCount());
        for (io.shardgrid.proto.v1.PartitionAssignment p : m.getPartitionsList()) {
            HashRange range = p.hasRange() ? new HashRange(p.getRange().getPrefixBits(), p.getRange().getPrefix())
                : null;
            partitions.add(new PartitionAssignment(p.getPartitionId(), p.getReplicaNodeIdsList(),
                p.getLearnerNodeIdsList(), p.getLeaderNodeId(), p.getConfEpoch(), range,
                p.getSplitting() ? p.getSplitParent() : PartitionAssignment.NO_PARENT));
        }
        if (partitions.size() != m.getPartitionCount()) {
            throw new IllegalArgumentException("map lists " + partitions.size() + " partitions but declares "
                + m.getPartitionCount());
        }
        return new PartitionMap(m.getEpoch(), Math.max(1, m.getReplicationFactor()), nodes, partitions);
    }

    public static NodeAddress toMessage(NodeDescriptor node) {
        return NodeAddress.newBuilder()
            .setNodeId(node.nodeId())
            .setGrpcAddress(node.grpcAddress())
            .setHttpAddress(node.httpAddress())
            .setRaftAddress(node.raftAddress())
            .setZone(node.zone())
            .setDraining(node.draining())
            .build();
    }

    public static NodeDescriptor fromMessage(NodeAddress a) {
        return new NodeDescriptor(a.getNodeId(), a.getGrpcAddress(), a.getHttpAddress(), a.getRaftAddress(),
            a.getZone(), a.getDraining());
    }
}
