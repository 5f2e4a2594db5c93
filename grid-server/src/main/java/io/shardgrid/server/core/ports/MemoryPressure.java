package io.shardgrid.server.core.ports;

import java.util.concurrent.CompletableFuture;

/**
 * Makes room in a partition this node leads when a write did not fit: under an eviction policy,
 * by replicating the eviction of some keys; without one, by doing nothing.
 */
@FunctionalInterface
public interface MemoryPressure {
    /** No eviction: a write that does not fit fails with RESOURCE_EXHAUSTED. */
    MemoryPressure NONE = partitionId -> CompletableFuture.completedFuture(false);

    /**
     * Completes with true once some keys of {@code partitionId} have been evicted (committed and
     * applied here), false if nothing could be evicted. Never completes exceptionally.
     */
    CompletableFuture<Boolean> relieve(int partitionId);
}
