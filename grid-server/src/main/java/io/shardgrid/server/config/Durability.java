package io.shardgrid.server.config;

/** What an acknowledged write survives. */
public enum Durability {
    /** Each raft batch is fsynced on a quorum before it is acknowledged: survives losing every node's power. */
    SYNC,
    /**
     * The raft log is flushed in the background: an acknowledged write is in the memory of a
     * quorum and survives any minority of nodes crashing, but not a majority losing power at once.
     */
    ASYNC
}
