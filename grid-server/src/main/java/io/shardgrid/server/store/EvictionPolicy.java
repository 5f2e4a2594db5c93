package io.shardgrid.server.store;

/** How {@link OffHeapPartitionStore#evictionCandidates} ranks sampled entries. */
public enum EvictionPolicy {
    /** Least recently read or written first (clock of about one second). */
    LRU,
    /** Least frequently used first: a logarithmic counter that decays by one per idle minute. */
    LFU
}
