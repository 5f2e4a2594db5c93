package io.shardgrid.server.placement;

import io.shardgrid.common.routing.PartitionMap;
import java.util.Map;
import java.util.Set;

/**
 * What the nodes themselves say, asked once per placement round: the meta map only knows the
 * leaders of the partitions this node hosts, and raft heartbeats alone cannot tell a new meta leader
 * which peers are gone (their silence counts from its election).
 */
@FunctionalInterface
public interface PeerProbe {
    /** Asks every node of {@code map}. */
    PeerReport probe(PartitionMap map);

    /**
     * @param leaders     who leads each partition, as a replica of that partition sees it
     * @param unreachable nodes that did not answer: no replica or leadership is moved onto them
     * @param leaderLoad per partition led by another node that answered: its leader's counters
     *                    (the probing node's own partitions are not here)
     */
    record PeerReport(Map<Integer, String> leaders, Set<String> unreachable, Map<Integer, LeaderLoad> leaderLoad) {
        public PeerReport {
            leaders = Map.copyOf(leaders);
            unreachable = Set.copyOf(unreachable);
            leaderLoad = Map.copyOf(leaderLoad);
        }

        public PeerReport(Map<Integer, String> leaders, Set<String> unreachable) {
            this(leaders, unreachable, Map.of());
        }
    }

    /**
     * What a partition's leader reports: since {@code nodeId} started, {@code ops} client writes
     * appended and linearizable reads served; and its store's live bytes now.
     */
    record LeaderLoad(String nodeId, long ops, long liveBytes) {
        /** A counter alone, without a size (tests, callers that only rate load). */
        public LeaderLoad(String nodeId, long ops) {
            this(nodeId, ops, 0);
        }
    }
}
