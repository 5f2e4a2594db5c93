package io.shardgrid.server.core.ports;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The partitions this node hosts, as the request path sees them: who leads, how to commit a write
 * and how to make a read linearizable. Implemented over Ratis by the consensus package.
 */
public interface ConsensusGroups {
    /** Whether this node holds a replica of {@code partitionId}. */
    boolean hosts(int partitionId);

    /** Whether this node currently leads {@code partitionId} (and may serve linearizable reads). */
    boolean isLeader(int partitionId);

    /** The node id this node believes leads {@code partitionId}, if it knows one. */
    Optional<String> leaderOf(int partitionId);

    /**
     * Replicates {@code commands} through the partition's raft log, in order, sharing entries as far
     * as the batch limits allow. Each future completes with its write's result once applied on this
     * (leader) node, or exceptionally with a {@code GridException}: NOT_LEADER, UNAVAILABLE,
     * RESOURCE_EXHAUSTED (queue full) or DEADLINE_EXCEEDED.
     */
    List<CompletableFuture<WriteResult>> write(int partitionId, List<WriteCommand> commands);

    /**
     * Completes once every write acknowledged before this call is visible in the local store
     * (leader lease or read-index); exceptionally with NOT_LEADER if this node does not lead.
     */
    CompletableFuture<Void> readBarrier(int partitionId);

    /**
     * The partition's clock as the local replica has applied it: the largest leader time of any
     * applied entry (it never goes back); 0 when unknown. Reads and new entries use no earlier time,
     * so a node whose wall clock stepped back neither revives keys the log already saw expire nor
     * writes deadlines that are past on arrival.
     */
    default long partitionClockMs(int partitionId) {
        return 0;
    }

    /**
     * Whether the local replica of {@code partitionId} owns {@code key}: false once a split applied
     * here handed the key's hash to another partition (the caller routed by an older map). A
     * partition never split owns every key the map routes to it.
     */
    default boolean owns(int partitionId, byte[] key) {
        return true;
    }

    /** The local replica's store; callers must check {@link #hosts} first. */
    PartitionStore store(int partitionId);
}
