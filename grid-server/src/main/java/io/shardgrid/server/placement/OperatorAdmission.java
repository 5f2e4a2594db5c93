package io.shardgrid.server.placement;

import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.SplitPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which planned operators may start now, beside those already running. Pure. One operator per
 * partition at a time; one split in the cluster at a time; at most {@code maxMoves} replica moves,
 * and {@code maxMovesPerNode} touching any one node (as source or target), since each copies a
 * replica over the network; at most {@code transfersPerRound} leader transfers per round, few
 * enough to avoid an election storm.
 */
record OperatorAdmission(int maxMoves, int maxMovesPerNode, int transfersPerRound) {

    /**
     * @param running           operators started earlier that have not finished
     * @param partitionsSplitting partitions of splits in progress (started by this or an earlier meta leader)
     */
    List<Operator> admit(List<Operator> planned, Collection<Operator> running, Set<Integer> partitionsSplitting) {
        Set<Integer> busy = new HashSet<>(partitionsSplitting);
        Map<String, Integer> movesPerNode = new HashMap<>();
        int moves = 0;
        for (Operator op : running) {
            busy.add(op.partitionId());
            if (op instanceof MoveReplica m) {
                moves++;
                count(movesPerNode, m);
            }
        }
        boolean splitting = !partitionsSplitting.isEmpty() || running.stream().anyMatch(SplitPartition.class::isInstance);
        int transfers = 0;
        List<Operator> admitted = new ArrayList<>();
        for (Operator op : planned) {
            if (busy.contains(op.partitionId())) {
                continue;
            }
            if (op instanceof SplitPartition) {
                if (splitting) {
                    continue;
                }
                splitting = true;
            } else if (op instanceof MoveReplica m) {
                if (moves >= maxMoves || movesPerNode.getOrDefault(m.fromNodeId(), 0) >= maxMovesPerNode
                    || movesPerNode.getOrDefault(m.toNodeId(), 0) >= maxMovesPerNode) {
                    continue;
                }
                moves++;
                count(movesPerNode, m);
            } else if (transfers++ >= transfersPerRound) {
                continue;
            }
            busy.add(op.partitionId());
            admitted.add(op);
        }
        return admitted;
    }

    /** A move loads both its nodes; an add (no source) or a removal (no target) only one. */
    private static void count(Map<String, Integer> movesPerNode, MoveReplica m) {
        if (!m.fromNodeId().isEmpty()) {
            movesPerNode.merge(m.fromNodeId(), 1, Integer::sum);
        }
        if (!m.toNodeId().isEmpty()) {
            movesPerNode.merge(m.toNodeId(), 1, Integer::sum);
        }
    }
}
