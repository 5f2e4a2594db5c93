package io.shardgrid.client.nearcache;

import io.shardgrid.client.routing.Channels;
import io.shardgrid.client.routing.RouteTable;
import io.shardgrid.common.routing.PartitionMap;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The near cache as a client uses it: looked up before a linearizable read, filled by its answer,
 * dropped for a key once a write to it finishes, and kept in step with the partition map and the
 * nodes' invalidation streams.
 */
public final class ClientNearCache implements AutoCloseable {
    private final NearCache cache;
    private final InvalidationStreams invalidations;

    private ClientNearCache(NearCache cache, InvalidationStreams invalidations) {
        this.cache = cache;
        this.invalidations = invalidations;
    }

    /**
     * Starts a cache of up to {@code maxEntries} values, each kept at most {@code maxAge}, with one
     * invalidation stream per node, waiting up to {@code waitMs} for them to open: until then reads
     * go to the nodes.
     */
    public static ClientNearCache start(long maxEntries, Duration maxAge, long waitMs, RouteTable routes,
                                        Channels channels, ScheduledExecutorService scheduler) {
        PartitionMap map = routes.map();
        NearCache cache = new NearCache(map.partitionCount(), maxEntries, maxAge);
        InvalidationStreams invalidations =
            new InvalidationStreams(channels, scheduler, cache, routes::currentOrNull, routes::offer);
        routes.onChange((before, after) -> {
            cache.onMapChange(before, after);
            invalidations.sync(after);
        });
        invalidations.sync(map);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (!invalidations.allConnected() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new ClientNearCache(cache, invalidations);
    }

    /** The cached value of {@code key} in {@code partition}, or null. */
    public byte[] cached(int partition, byte[] key) {
        return cache.get(partition, key, System.currentTimeMillis());
    }

    /** Taken before a read is sent; the answer fills the cache only if nothing changed meanwhile. */
    public NearCache.Ticket ticket(int partition, byte[] key) {
        return cache.ticket(partition, key);
    }

    public void fill(NearCache.Ticket ticket, byte[] key, byte[] value, long expireAtMs) {
        cache.put(ticket, key, value, expireAtMs);
    }

    /**
     * Forgets {@code key} before the caller sees the write finish, whatever its outcome: the client
     * then reads its own completed writes from the server.
     */
    public <T> CompletableFuture<T> forgetAfter(byte[] key, CompletableFuture<T> write) {
        byte[] copy = key.clone();
        return write.whenComplete((v, e) -> cache.invalidate(copy));
    }

    public NearCacheStats stats() {
        return cache.stats();
    }

    @Override
    public void close() {
        invalidations.close();
    }
}
