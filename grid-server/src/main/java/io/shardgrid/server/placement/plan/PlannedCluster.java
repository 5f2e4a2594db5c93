package io.shardgrid.server.placement.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster on paper: nodes and partitions the planner's operators can be applied to. For the
 * planner's tests and the placement simulation in {@code bench/}; the real cluster applies
 * operators as raft steps instead.
 */
public final class PlannedCluster {
    private final Map<String, NodeView> nodes = new LinkedHashMap<>();
    private final List<List<String>> replicas = new ArrayList<>();
    private final List<String> leaders = new ArrayList<>();
    private final List<Integer> rangeBits = new ArrayList<>();

    /** {@code partitions} partitions with no replicas yet, each with a range of 2^-ceil(log2 P) of the hash space. */
    public PlannedCluster(int partitions) {
        for (int p = 0; p < partitions; p++) {
            replicas.add(new ArrayList<>());
            leaders.add("");
            rangeBits.add(32 - Integer.numberOfLeadingZeros(partitions - 1));
        }
    }

    public PlannedCluster put(NodeView node) {
        nodes.put(node.nodeId(), node);
        return this;
    }

    public List<NodeView> nodes() {
        return List.copyOf(nodes.values());
    }

    public int partitionCount() {
        return replicas.size();
    }

    public List<String> replicas(int p) {
        return Collections.unmodifiableList(replicas.get(p));
    }

    public String leader(int p) {
        return leaders.get(p);
    }

    public List<PartitionView> partitions() {
        List<PartitionView> views = new ArrayList<>(replicas.size());
        for (int p = 0; p < replicas.size(); p++) {
            views.add(new PartitionView(p, replicas.get(p), leaders.get(p), 1, rangeBits.get(p), 0));
        }
        return views;
    }

    /**
     * Applies operators as the executor would: a move adds then removes; a split gives the next id
     * the upper half of the range on the same replicas and leader; a partition whose leader leaves
     * (or that has none) is led by its first replica, as an election would pick someone.
     */
    public void apply(List<Operator> operators) {
        for (Operator op : operators) {
            int p = op.partitionId();
            if (op instanceof SplitPartition) {
                rangeBits.set(p, rangeBits.get(p) + 1);
                rangeBits.add(rangeBits.get(p));
                replicas.add(new ArrayList<>(replicas.get(p)));
                leaders.add(leaders.get(p));
            } else if (op instanceof MoveReplica m) {
                if (!m.toNodeId().isEmpty() && !replicas.get(p).contains(m.toNodeId())) {
                    replicas.get(p).add(m.toNodeId());
                }
                replicas.get(p).remove(m.fromNodeId());
            } else if (op instanceof TransferLeader t && replicas.get(p).contains(t.toNodeId())) {
                leaders.set(p, t.toNodeId());
            }
            elect(p);
        }
        for (int p = 0; p < replicas.size(); p++) {
            elect(p);
        }
    }

    private void elect(int p) {
        List<String> r = replicas.get(p);
        String leader = leaders.get(p);
        boolean alive = nodes.containsKey(leader) && nodes.get(leader).live();
        if (!r.contains(leader) || !alive) {
            leaders.set(p, r.stream().filter(id -> nodes.containsKey(id) && nodes.get(id).live()).findFirst()
                .orElse(""));
        }
    }

    /** Replicas per node, for every node (zero included). */
    public Map<String, Integer> replicaCounts() {
        Map<String, Integer> counts = new HashMap<>();
        nodes.keySet().forEach(id -> counts.put(id, 0));
        replicas.forEach(r -> r.forEach(id -> counts.merge(id, 1, Integer::sum)));
        return counts;
    }

    /** Leaders per node, for every node (zero included). */
    public Map<String, Integer> leaderCounts() {
        Map<String, Integer> counts = new HashMap<>();
        nodes.keySet().forEach(id -> counts.put(id, 0));
        leaders.stream().filter(id -> !id.isEmpty()).forEach(id -> counts.merge(id, 1, Integer::sum));
        return counts;
    }
}
