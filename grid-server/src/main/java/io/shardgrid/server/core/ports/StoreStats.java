package io.shardgrid.server.core.ports;

/**
 * A point-in-time view of one store's memory and entry counts.
 *
 * @param keys              entries held (live and expired-not-yet-freed)
 * @param liveBytes         key and value bytes of the entries held
 * @param allocatedBytes    bytes charged to the memory budget (entries, their headers, the index,
 *                          and free space inside allocated chunks)
 * @param freeBytes         allocated but currently unused bytes (fragmentation)
 * @param expiredCount      entries freed because their deadline passed (lazily or by sweep)
 * @param evictedCount      entries removed by replicated eviction
 */
public record StoreStats(long keys, long liveBytes, long allocatedBytes, long freeBytes,
                         long expiredCount, long evictedCount) {

    /** Bytes spent per entry beyond its key and value bytes. */
    public double overheadPerEntry() {
        return keys == 0 ? 0 : (double) (allocatedBytes - liveBytes) / keys;
    }

    /** Share of allocated memory that is free space, in [0, 1]. */
    public double fragmentation() {
        return allocatedBytes == 0 ? 0 : (double) freeBytes / allocatedBytes;
    }

    public StoreStats plus(StoreStats other) {
        return new StoreStats(keys + other.keys, liveBytes + other.liveBytes, allocatedBytes + other.allocatedBytes,
            freeBytes + other.freeBytes, expiredCount + other.expiredCount, evictedCount + other.evictedCount);
    }
}
