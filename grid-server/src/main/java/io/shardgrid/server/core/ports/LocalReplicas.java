package io.shardgrid.server.core.ports;

import java.util.List;
import java.util.Optional;

/**
 * What this node's partition replicas report about themselves, read by the metrics and the admin
 * API: which it holds, their raft progress and their stores. Implemented by the consensus package.
 */
public interface LocalReplicas {
    /** The partitions this node holds a replica of, in id order. */
    List<Integer> hostedPartitions();

    /** Whether this node holds a replica of {@code partitionId}. */
    boolean hosts(int partitionId);

    /** Whether this node leads {@code partitionId}. */
    boolean isLeader(int partitionId);

    /** The raft term of the local replica. */
    long currentTerm(int partitionId);

    /** The raft commit index the local replica knows. */
    long commitIndex(int partitionId);

    /** The raft index applied to the local replica's store. */
    long appliedIndex(int partitionId);

    /** Why the local replica's raft log stopped, if it did. */
    Optional<String> logFailure(int partitionId);

    /** The local replica's store; callers check {@link #hosts} first. */
    PartitionStore store(int partitionId);

    /** Raft entries appended for client writes by the partitions this node leads. */
    long entriesAppended();

    /** Client writes carried by those entries. */
    long writesAppended();

    /** Client writes this node appended to one partition's log while leading it, since start. */
    long writesAppended(int partitionId);

    /** Linearizable reads of one partition this node served while leading it, since start. */
    long readsServed(int partitionId);
}
