package io.shardgrid.client.nearcache;

/**
 * What the near cache did so far.
 *
 * @param hits            reads answered locally
 * @param misses          reads that went to the server
 * @param invalidations   keys forgotten because they changed (pushed or written here)
 * @param partitionDrops  times a whole partition's entries were dropped (gap, lost stream, new leader)
 * @param size            entries held, approximately
 */
public record NearCacheStats(long hits, long misses, long invalidations, long partitionDrops, long size) {
}
