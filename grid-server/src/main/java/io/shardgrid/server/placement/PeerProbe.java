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
     * @param leaderWrites per partition led by another node that answered: the client writes its
     *                    leader has appended since that node started (the probing node's own are not here)
     */
    record PeerReport(Map<Integer, String> leaders, Set<String> unreachable, Map<Integer, LeaderWrites> leaderWrites) {
        public PeerReport {
            leaders = Map.copyOf(leaders);
            unreachable = Set.copyOf(unreachable);
            leaderWrites = Map.copyOf(leaderWrites);
        }

        public PeerReport(Map<Integer, String> leaders, Set<String> unreachable) {
            this(leaders, unreachable, Map.of());
        }
    }

    /** A partition leader's write counter: since {@code nodeId} started, {@code writes} client writes. */
    record LeaderWrites(String nodeId, long writes) {
    }
}
