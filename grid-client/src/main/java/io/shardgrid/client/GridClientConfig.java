package io.shardgrid.client;

import java.time.Duration;
import java.util.List;

/**
 * Client settings with their defaults in one place.
 *
 * @param seeds                any nodes' gRPC addresses; the rest are learned from the map
 * @param timeout              default deadline of one call, retries included
 * @param maxBatchOps          pipelining: most operations in one Batch message
 * @param maxBatchBytes        pipelining: most bytes in one Batch message
 * @param maxInFlightPerNode   backpressure: operations awaiting an answer from one node
 * @param nearCacheMaxEntries  near cache size; 0 turns it off (the default)
 * @param nearCacheMaxAge      a cached value is dropped this long after it was read, pushed
 *                             invalidations or not: the bound on staleness if one is ever missed
 */
public record GridClientConfig(List<String> seeds, Duration timeout, int maxBatchOps, int maxBatchBytes,
                               int maxInFlightPerNode, long nearCacheMaxEntries, Duration nearCacheMaxAge) {
    public static final List<String> LOCAL_CLUSTER = List.of("127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093");

    public GridClientConfig {
        seeds = List.copyOf(seeds);
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("at least one seed address is required");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " must be positive");
        }
        if (maxBatchOps < 1 || maxBatchBytes < 1 || maxInFlightPerNode < 1) {
            throw new IllegalArgumentException("batch and in-flight bounds must be positive: ops " + maxBatchOps
                + ", bytes " + maxBatchBytes + ", in flight " + maxInFlightPerNode);
        }
        if (nearCacheMaxEntries < 0) {
            throw new IllegalArgumentException("near cache size " + nearCacheMaxEntries + " is negative");
        }
        if (nearCacheMaxAge.isNegative() || nearCacheMaxAge.isZero()) {
            throw new IllegalArgumentException("near cache max age " + nearCacheMaxAge + " must be positive");
        }
    }

    public static GridClientConfig defaults() {
        return new GridClientConfig(LOCAL_CLUSTER, Duration.ofSeconds(5), 512, 1 << 20, 8192, 0, Duration.ofSeconds(30));
    }

    public boolean nearCacheEnabled() {
        return nearCacheMaxEntries > 0;
    }
}
