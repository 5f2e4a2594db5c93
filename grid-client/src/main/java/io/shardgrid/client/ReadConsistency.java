package io.shardgrid.client;

/** How fresh a read must be. */
public enum ReadConsistency {
    /** Served by the partition leader after a read barrier: sees every completed write. */
    LINEARIZABLE,
    /** Served by any replica, spreading load; may lag the leader by a few milliseconds. */
    STALE_OK
}
