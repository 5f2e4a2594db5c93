package io.shardgrid.bench.load;

import java.util.concurrent.CompletableFuture;

/** What the load generator drives: a key-value store reached asynchronously. */
public interface KvTarget extends AutoCloseable {
    CompletableFuture<?> get(byte[] key);

    CompletableFuture<?> set(byte[] key, byte[] value, long ttlMs);

    /** A short name for reports, e.g. {@code shardgrid} or {@code redis}. */
    String name();

    @Override
    void close();

    /** {@code grid://host:port,host:port} through the smart client, or {@code redis://host:port}. */
    static KvTarget open(String uri, int pipelineDepth, int connections) {
        if (uri.startsWith("grid://")) {
            return new GridTarget(uri.substring("grid://".length()), pipelineDepth);
        }
        if (uri.startsWith("redis://")) {
            return new RedisTarget(uri, connections);
        }
        throw new IllegalArgumentException("target '" + uri + "' must start with grid:// or redis://");
    }
}
