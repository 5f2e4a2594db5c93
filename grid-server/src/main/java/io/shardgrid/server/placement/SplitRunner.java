package io.shardgrid.server.placement;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.server.core.ports.SplitResult;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.consensus.PartitionSplitter;
import io.shardgrid.server.consensus.RatisNode;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs splits for the placement driver: one at a time per partition, none beside a join, and on
 * the meta leader it finishes the splits whose runner died (see {@link PartitionSplitter}).
 */
final class SplitRunner {
    private static final Logger LOG = LoggerFactory.getLogger(SplitRunner.class);

    private final RatisNode node;
    private final Membership membership;
    private final PartitionSplitter splitter;
    /** Parents splitting from this node now: no operator starts on them meanwhile. */
    private final Set<Integer> running = ConcurrentHashMap.newKeySet();
    /** Started splits the previous round saw: one still there a round later has lost its runner. */
    private volatile Set<Integer> seen = Set.of();

    SplitRunner(RatisNode node, Membership membership, PartitionSplitter splitter) {
        this.node = node;
        this.membership = membership;
        this.splitter = splitter;
    }

    /** Parent partitions splitting from this node right now. */
    Set<Integer> running() {
        return Set.copyOf(running);
    }

    SplitResult split(int partitionId) throws IOException {
        PartitionMap map = membership.readMap();
        // Up to RF nodes a join adds the new node to every partition (Membership.join); a split
        // beside it could give the child a replica set the map does not know.
        if (map.nodes().size() <= map.replicationFactor() && map.partitions().stream()
                .anyMatch(a -> !a.splitting() && a.replicas().size() < map.nodes().size())) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "a node is joining; split when the join is done");
        }
        if (!running.add(partitionId)) {
            throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "partition " + partitionId
                + " is already splitting");
        }
        try {
            return splitter.split(partitionId);
        } finally {
            running.remove(partitionId);
        }
    }

    /**
     * On the meta leader, each round: finishes the splits the map has shown as started for a whole
     * round that nobody on this node is running (their runner died or lost the meta leadership).
     */
    void finishStarted() throws IOException {
        PartitionMap map = node.map();
        if (map == null) {
            return;
        }
        Set<Integer> started = new HashSet<>();
        for (PartitionAssignment child : map.splitting()) {
            started.add(child.partitionId());
            if (seen.contains(child.partitionId()) && running.add(child.splitParent())) {
                try {
                    LOG.info("finishing the started split of p{} into p{}", child.splitParent(), child.partitionId());
                    splitter.finish(child.partitionId());
                } finally {
                    running.remove(child.splitParent());
                }
            }
        }
        seen = started;
    }
}
