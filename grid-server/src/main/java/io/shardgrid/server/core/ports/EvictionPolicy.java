package io.shardgrid.server.core.ports;

/** How {@link PartitionStore#evictionCandidates} ranks sampled entries. */
public enum EvictionPolicy {
    /** Least recently read or written first (clock of about one second). */
    LRU,
    /** Least frequently used first: a logarithmic counter that decays by one per idle minute. */
    LFU,
    /** Only keys with a deadline, the nearest deadline first (Redis's {@code volatile-ttl}). */
    VOLATILE_TTL
}
