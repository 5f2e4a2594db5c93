package io.shardgrid.common.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable partition map: per partition its assignment, plus the node directory, versioned
 * by {@code epoch}. Every change produces a new map with a higher epoch, so a reader holding one
 * map sees a consistent picture and two maps compare by epoch alone.
 */
public final class PartitionMap {
    private final long epoch;
    private final int replicationFactor;
    private final Partitioner partitioner;
    private final Map<String, NodeDescriptor> nodes;
    private final List<PartitionAssignment> partitions;

    public PartitionMap(long epoch, int replicationFactor, Map<String, NodeDescriptor> nodes,
                        List<PartitionAssignment> partitions) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " is negative");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " must be at least 1");
        }
        this.partitioner = new Partitioner(partitions.size());
        for (int i = 0; i < partitions.size(); i++) {
            PartitionAssignment a = partitions.get(i);
            if (a.partitionId() != i) {
                throw new IllegalArgumentException("partition at index " + i + " has id " + a.partitionId());
            }
            for (String replica : a.replicas()) {
                if (!nodes.containsKey(replica)) {
                    throw new IllegalArgumentException("partition " + i + " names unknown node '" + replica + "'");
                }
            }
        }
        this.epoch = epoch;
        this.replicationFactor = replicationFactor;
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        this.partitions = List.copyOf(partitions);
    }

    /** A map with every partition on {@code node}, which leads them all: a freshly bootstrapped cluster. */
    public static PartitionMap bootstrap(NodeDescriptor node, int partitionCount, int replicationFactor) {
        List<PartitionAssignment> partitions = new ArrayList<>(partitionCount);
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new PartitionAssignment(p, List.of(node.nodeId()), List.of(), node.nodeId(), 1));
        }
        return new PartitionMap(1, replicationFactor, Map.of(node.nodeId(), node), partitions);
    }

    public long epoch() {
        return epoch;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    public int partitionCount() {
        return partitions.size();
    }

    public Partitioner partitioner() {
        return partitioner;
    }

    public Map<String, NodeDescriptor> nodes() {
        return nodes;
    }

    public Optional<NodeDescriptor> node(String nodeId) {
        return Optional.ofNullable(nodes.get(nodeId));
    }

    public List<PartitionAssignment> partitions() {
        return partitions;
    }

    public PartitionAssignment partition(int partitionId) {
        if (partitionId < 0 || partitionId >= partitions.size()) {
            throw new IllegalArgumentException(
                "partition " + partitionId + " is outside [0, " + partitions.size() + ")");
        }
        return partitions.get(partitionId);
    }

    public PartitionAssignment partitionOf(byte[] key) {
        return partitions.get(partitioner.partitionOf(key));
    }

    public boolean isNewerThan(PartitionMap other) {
        return other == null || epoch > other.epoch;
    }

    /** This map with {@code node} added or its addresses replaced, at {@code epoch + 1}. */
    public PartitionMap withNode(NodeDescriptor node) {
        Map<String, NodeDescriptor> next = new LinkedHashMap<>(nodes);
        next.put(node.nodeId(), node);
        return new PartitionMap(epoch + 1, replicationFactor, next, partitions);
    }

    /** This map without {@code nodeId} (which must hold no replica), at {@code epoch + 1}. */
    public PartitionMap withoutNode(String nodeId) {
        Map<String, NodeDescriptor> next = new LinkedHashMap<>(nodes);
        next.remove(nodeId);
        return new PartitionMap(epoch + 1, replicationFactor, next, partitions);
    }

    /** This map with one partition's assignment replaced, at {@code epoch + 1}. */
    public PartitionMap withPartition(PartitionAssignment assignment) {
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.set(assignment.partitionId(), assignment);
        return new PartitionMap(epoch + 1, replicationFactor, nodes, next);
    }

    /** Leader hints do not change placement, so they update without an epoch bump. */
    public PartitionMap withLeaderHint(int partitionId, String leaderNodeId) {
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.set(partitionId, partitions.get(partitionId).withLeader(leaderNodeId));
        return new PartitionMap(epoch, replicationFactor, nodes, next);
    }

    @Override
    public String toString() {
        return "PartitionMap{epoch=" + epoch + ", partitions=" + partitions.size() + ", nodes=" + nodes.keySet()
            + ", rf=" + replicationFactor + "}";
    }
}
