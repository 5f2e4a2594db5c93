package io.shardgrid.server.placement;

import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.consensus.RatisNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes this node's copies of partitions the map no longer gives it: a node that was down while
 * its replicas moved away comes back holding them. Runs on every node, each placement round.
 */
final class StrayCopyCleaner {
    private static final Logger LOG = LoggerFactory.getLogger(StrayCopyCleaner.class);

    private final RatisNode node;
    private final Membership membership;
    private final String nodeId;
    private final Duration downAfter;
    private final Map<Integer, Long> strayCopiesSinceMs = new ConcurrentHashMap<>();

    StrayCopyCleaner(RatisNode node, Membership membership, String nodeId, Duration downAfter) {
        this.node = node;
        this.membership = membership;
        this.nodeId = nodeId;
        this.downAfter = downAfter;
    }

    /**
     * Deletes local copies of partitions the map has not given this node for {@code down-after}:
     * long enough that a join or move in progress (which records the node first) is never cut short.
     * The local map can be stale (Ratis closes a meta listener's replica when the meta leader dies),
     * so a deletion is checked against a map read from the meta group first.
     */
    void dropStrayCopies() {
        PartitionMap map = node.map();
        if (map == null) {
            return;
        }
        long now = PlacementDriver.monotonicMs();
        List<Integer> due = new ArrayList<>();
        for (int p : node.hostedPartitions()) {
            if (!map.hasPartition(p)) {
                continue; // a group this node's map does not know yet (a split it has not seen)
            }
            if (assignedHere(map, p)) {
                strayCopiesSinceMs.remove(p);
                continue;
            }
            long since = strayCopiesSinceMs.computeIfAbsent(p, k -> now);
            if (now - since >= downAfter.toMillis()) {
                due.add(p);
            }
        }
        if (due.isEmpty()) {
            return;
        }
        PartitionMap fresh;
        try {
            fresh = membership.readMap();
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: no current map to check stray copies against: {}", nodeId, e.toString());
            return;
        }
        for (int p : due) {
            strayCopiesSinceMs.remove(p);
            if (fresh.hasPartition(p) && !assignedHere(fresh, p)) {
                LOG.info("{}: the map gives p{} to {}; deleting this node's copy", nodeId, p,
                    fresh.partition(p).replicas());
                membership.dropLocalGroup(p);
            }
        }
    }

    private boolean assignedHere(PartitionMap map, int partitionId) {
        PartitionAssignment a = map.partition(partitionId);
        return a.replicas().contains(nodeId) || a.learners().contains(nodeId);
    }
}
