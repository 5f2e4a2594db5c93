package io.shardgrid.common.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable partition map: per partition its assignment and hash range, plus the node
 * directory, versioned by {@code epoch}. Every change produces a new map with a higher epoch, so a
 * reader holding one map sees a consistent picture and two maps compare by epoch alone.
 *
 * <p>Partition ids are dense and stable: partition {@code i} sits at index {@code i} for good, and
 * a split gives the new half the next id. Every key routes through {@link #partitionOf(long)}: the
 * active partitions' ranges tile the hash space, so each hash has exactly one owner.
 */
public final class PartitionMap {
    private final long epoch;
    private final int replicationFactor;
    private final Partitioner partitioner;
    private final Map<String, NodeDescriptor> nodes;
    private final List<PartitionAssignment> partitions;

    public PartitionMap(long epoch, int replicationFactor, Map<String, NodeDescriptor> nodes,
                        List<PartitionAssignment> partitions) {
        this(epoch, replicationFactor, nodes, withRanges(partitions), null);
    }

    /** {@code router} is the routing of {@code partitions} when the caller already has it, else null. */
    private PartitionMap(long epoch, int replicationFactor, Map<String, NodeDescriptor> nodes,
                         List<PartitionAssignment> partitions, Partitioner router) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " is negative");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " must be at least 1");
        }
        Map<Integer, HashRange> owned = new HashMap<>();
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
            if (a.splitting()) {
                if (a.splitParent() >= partitions.size() || partitions.get(a.splitParent()).splitting()) {
                    throw new IllegalArgumentException("partition " + i + " is split off partition "
                        + a.splitParent() + ", which is not an active partition");
                }
            } else {
                owned.put(i, a.range());
            }
        }
        this.partitioner = router != null ? router : new Partitioner(owned);
        this.epoch = epoch;
        this.replicationFactor = replicationFactor;
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        this.partitions = List.copyOf(partitions);
    }

    /**
     * A map read from a form without ranges (written before splits existed) means {@code P} equal
     * ranges, partition {@code i} owning the {@code i}-th; either every partition states its range
     * or none does.
     */
    private static List<PartitionAssignment> withRanges(List<PartitionAssignment> partitions) {
        long unstated = partitions.stream().filter(a -> a.range() == null).count();
        if (unstated == 0) {
            return partitions;
        }
        if (unstated != partitions.size()) {
            throw new IllegalArgumentException(unstated + " of " + partitions.size()
                + " partitions state no hash range; either all do or none does");
        }
        int count = partitions.size();
        if (count < 1 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("partition count " + count + " must be a power of two when the map"
                + " states no ranges");
        }
        List<PartitionAssignment> ranged = new ArrayList<>(count);
        for (PartitionAssignment a : partitions) {
            ranged.add(a.withRange(HashRange.equalShare(a.partitionId(), count)));
        }
        return ranged;
    }

    /** A map with every partition on {@code node}, which leads them all: a freshly bootstrapped cluster. */
    public static PartitionMap bootstrap(NodeDescriptor node, int partitionCount, int replicationFactor) {
        return founding(List.of(node), partitionCount, replicationFactor);
    }

    /**
     * The first map of a cluster founded by {@code founders} at once (at most RF of them): every founder
     * replicates every partition, and partition {@code p} is led by the {@code p mod n}-th founder by id.
     */
    public static PartitionMap founding(List<NodeDescriptor> founders, int partitionCount, int replicationFactor) {
        if (founders.isEmpty() || founders.size() > replicationFactor) {
            throw new IllegalArgumentException(founders.size() + " founding nodes for replication " + replicationFactor);
        }
        List<String> ids = founders.stream().map(NodeDescriptor::nodeId).sorted().toList();
        Map<String, NodeDescriptor> nodes = new LinkedHashMap<>();
        founders.forEach(n -> nodes.put(n.nodeId(), n));
        List<PartitionAssignment> partitions = new ArrayList<>(partitionCount);
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new PartitionAssignment(p, ids, List.of(), ids.get(p % ids.size()), 1));
        }
        return new PartitionMap(1, replicationFactor, nodes, partitions);
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

    /** Key → partition id by the active partitions' ranges; {@link #partitionOf(long)} answers with it. */
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

    /** Whether {@code partitionId} names a partition of this map (active or being split off). */
    public boolean hasPartition(int partitionId) {
        return partitionId >= 0 && partitionId < partitions.size();
    }

    /** The one active partition whose range holds {@code hash}: the way every key is routed. */
    public PartitionAssignment partitionOf(long hash) {
        return partitions.get(partitioner.partitionOfHash(hash));
    }

    public PartitionAssignment partitionOf(byte[] key) {
        return partitionOf(Partitioner.hash(key));
    }

    /** The partition being split off {@code parentId}, if a split of it has started and not finished. */
    public Optional<PartitionAssignment> splittingChildOf(int parentId) {
        return partitions.stream().filter(a -> a.splitParent() == parentId).findFirst();
    }

    /** Partitions being split off their parent right now. */
    public List<PartitionAssignment> splitting() {
        return partitions.stream().filter(PartitionAssignment::splitting).toList();
    }

    /**
     * This map with a split of {@code parentId} started, at {@code epoch + 1}: the next partition id
     * is reserved for the upper half of the parent's range, on the parent's replicas. Routing does
     * not change until {@link #withSplitDone}.
     */
    public PartitionMap withSplitStarted(int parentId) {
        PartitionAssignment parent = partition(parentId);
        if (parent.splitting()) {
            throw new IllegalArgumentException("partition " + parentId + " is itself still being split off "
                + parent.splitParent());
        }
        if (splittingChildOf(parentId).isPresent()) {
            throw new IllegalArgumentException("partition " + parentId + " is already splitting");
        }
        if (!parent.learners().isEmpty()) {
            throw new IllegalArgumentException("partition " + parentId + " is moving a replica (learners "
                + parent.learners() + "); split it when the move is done");
        }
        if (!parent.range().canSplit()) {
            throw new IllegalArgumentException("partition " + parentId + " owns " + parent.range()
                + ", the smallest range a partition may have");
        }
        if (partitions.size() >= Partitioner.MAX_PARTITIONS) {
            throw new IllegalArgumentException("the map holds " + partitions.size() + " partitions, the most it may");
        }
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.add(new PartitionAssignment(partitions.size(), parent.replicas(), List.of(), parent.leaderHint(), 1,
            parent.range().upper(), parentId));
        return new PartitionMap(epoch + 1, replicationFactor, nodes, next, partitioner);
    }

    /**
     * This map with the split that creates {@code childId} done, at {@code epoch + 1}: the parent
     * keeps the lower half of its range and the child owns the upper half.
     */
    public PartitionMap withSplitDone(int childId) {
        PartitionAssignment child = partition(childId);
        if (!child.splitting()) {
            throw new IllegalArgumentException("partition " + childId + " is not being split off another");
        }
        PartitionAssignment parent = partition(child.splitParent());
        if (!parent.range().upper().equals(child.range())) {
            throw new IllegalArgumentException("partition " + childId + " should take " + child.range()
                + " but its parent " + parent.partitionId() + " owns " + parent.range());
        }
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.set(parent.partitionId(), parent.withRange(parent.range().lower()));
        next.set(childId, child.asSplitDone());
        return new PartitionMap(epoch + 1, replicationFactor, nodes, next, null);
    }

    public boolean isNewerThan(PartitionMap other) {
        return other == null || epoch > other.epoch;
    }

    /** This map with {@code node} added or its addresses replaced, at {@code epoch + 1}. */
    public PartitionMap withNode(NodeDescriptor node) {
        Map<String, NodeDescriptor> next = new LinkedHashMap<>(nodes);
        next.put(node.nodeId(), node);
        return new PartitionMap(epoch + 1, replicationFactor, next, partitions, partitioner);
    }

    /** This map without {@code nodeId} (which must hold no replica), at {@code epoch + 1}. */
    public PartitionMap withoutNode(String nodeId) {
        Map<String, NodeDescriptor> next = new LinkedHashMap<>(nodes);
        next.remove(nodeId);
        return new PartitionMap(epoch + 1, replicationFactor, next, partitions, partitioner);
    }

    /**
     * This map with one partition's replicas or learners replaced, at {@code epoch + 1}; a
     * partition's range and split state change only through the split methods.
     */
    public PartitionMap withPartition(PartitionAssignment assignment) {
        PartitionAssignment current = partition(assignment.partitionId());
        PartitionAssignment placed = new PartitionAssignment(current.partitionId(), assignment.replicas(),
            assignment.learners(), assignment.leaderHint(), assignment.confEpoch(), current.range(),
            current.splitParent());
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.set(assignment.partitionId(), placed);
        return new PartitionMap(epoch + 1, replicationFactor, nodes, next, partitioner);
    }

    /** Leader hints do not change placement, so they update without an epoch bump. */
    public PartitionMap withLeaderHint(int partitionId, String leaderNodeId) {
        List<PartitionAssignment> next = new ArrayList<>(partitions);
        next.set(partitionId, partitions.get(partitionId).withLeader(leaderNodeId));
        return new PartitionMap(epoch, replicationFactor, nodes, next, partitioner);
    }

    @Override
    public String toString() {
        return "PartitionMap{epoch=" + epoch + ", partitions=" + partitions.size() + ", nodes=" + nodes.keySet()
            + ", rf=" + replicationFactor + "}";
    }
}
