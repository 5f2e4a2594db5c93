package io.shardgrid.bench.load;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** What the load generator drives: a key-value store reached asynchronously. */
public interface KvTarget extends AutoCloseable {
    CompletableFuture<?> get(byte[] key);

    CompletableFuture<?> set(byte[] key, byte[] value, long ttlMs);

    /** A short name for reports, e.g. {@code shardgrid} or {@code redis}. */
    String name();

    /** Anything the target wants to add to the report (the near cache's hit rate, say). */
    default Optional<String> notes() {
        return Optional.empty();
    }

    @Override
    void close();

    /**
     * {@code grid://host:port,host:port} through the smart client (with a near cache of
     * {@code nearCacheEntries} unless 0, over TLS and with a client token as {@code access} says), or
     * {@code redis://host:port}.
     */
    static KvTarget open(String uri, int pipelineDepth, int connections, long nearCacheEntries, GridAccess access) {
        if (uri.startsWith("grid://")) {
            return new GridTarget(uri.substring("grid://".length()), pipelineDepth, nearCacheEntries, access);
        }
        if (uri.startsWith("redis://")) {
            return new RedisTarget(uri, connections);
        }
        throw new IllegalArgumentException("target '" + uri + "' must start with grid:// or redis://");
    }
}
