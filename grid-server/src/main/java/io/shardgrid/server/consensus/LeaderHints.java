package io.shardgrid.server.consensus;

import io.shardgrid.common.routing.PartitionMap;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.ratis.server.DivisionInfo;

/**
 * Who leads each partition as this node knows it: its own current replicas first, then the map's
 * leader hints. A copy the map no longer gives this node (removed while it was down, not yet
 * deleted) knows nothing current about its group and is not asked.
 */
final class LeaderHints {
    private final String nodeId;
    private final Supplier<PartitionMap> maps;
    /** The local division's info for a partition, or null without a local replica. */
    private final IntFunction<DivisionInfo> info;
    private final Supplier<List<Integer>> hostedPartitions;

    LeaderHints(String nodeId, Supplier<PartitionMap> maps, IntFunction<DivisionInfo> info,
                Supplier<List<Integer>> hostedPartitions) {
        this.nodeId = nodeId;
        this.maps = maps;
        this.info = info;
        this.hostedPartitions = hostedPartitions;
    }

    /** The map with leader hints refreshed from this node's own replicas: what clients should route by. */
    PartitionMap routingMap() {
        PartitionMap map = maps.get();
        if (map == null) {
            return null;
        }
        for (int p = 0; p < map.partitionCount(); p++) {
            // The meta map's hint is only as fresh as the last placement change; a node that has
            // left the partition is no hint at all (the client then asks a replica).
            var a = map.partition(p);
            if (a.hasLeaderHint() && !a.replicas().contains(a.leaderHint())) {
                map = map.withLeaderHint(p, "");
            }
        }
        for (int p : hostedPartitions.get()) {
            DivisionInfo local = assignedHere(map, p) ? info.apply(p) : null;
            if (local != null && local.getLeaderId() != null && map.hasPartition(p)) {
                String leader = local.getLeaderId().toString();
                if (!leader.equals(map.partition(p).leaderHint())) {
                    map = map.withLeaderHint(p, leader);
                }
            }
        }
        return map;
    }

    /**
     * Whether the map gives this node a copy of the partition (a replica or learner), or no map
     * says otherwise yet.
     */
    boolean assignedHere(PartitionMap map, int partitionId) {
        if (map == null || !map.hasPartition(partitionId)) {
            return true;
        }
        var a = map.partition(partitionId);
        return a.replicas().contains(nodeId) || a.learners().contains(nodeId);
    }

    /** This node's own view of a partition's leader (empty when it holds no current copy or knows none). */
    String localLeader(int partitionId) {
        DivisionInfo local = assignedHere(maps.get(), partitionId) ? info.apply(partitionId) : null;
        return local == null || local.getLeaderId() == null ? "" : local.getLeaderId().toString();
    }

    /** The leader as the local replica knows it, else the map's hint, else any replica (which redirects). */
    Optional<String> leaderOf(int partitionId) {
        DivisionInfo local = assignedHere(maps.get(), partitionId) ? info.apply(partitionId) : null;
        if (local != null && local.getLeaderId() != null) {
            return Optional.of(local.getLeaderId().toString());
        }
        PartitionMap map = maps.get();
        if (map != null && map.hasPartition(partitionId)) {
            var a = map.partition(partitionId);
            if (a.hasLeaderHint() && a.replicas().contains(a.leaderHint())) {
                return Optional.of(a.leaderHint());
            }
            // Unknown: any replica knows, and answers NOT_LEADER with the real one.
            return a.replicas().stream().findFirst();
        }
        return Optional.empty();
    }
}
