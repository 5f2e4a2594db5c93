package io.shardgrid.bench.load;

import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Redis through Lettuce: {@code connections} connections used round-robin. Lettuce pipelines every
 * async command on a connection, so the generator's concurrency per connection is the pipeline depth.
 */
final class RedisTarget implements KvTarget {
    private final RedisClient client;
    private final List<StatefulRedisConnection<byte[], byte[]>> connections = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    RedisTarget(String uri, int connectionCount) {
        this.client = RedisClient.create(uri);
        for (int i = 0; i < Math.max(1, connectionCount); i++) {
            connections.add(client.connect(ByteArrayCodec.INSTANCE));
        }
    }

    private StatefulRedisConnection<byte[], byte[]> connection() {
        return connections.get(Math.floorMod(next.getAndIncrement(), connections.size()));
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return connection().async().get(key).toCompletableFuture();
    }

    @Override
    public CompletableFuture<?> set(byte[] key, byte[] value, long ttlMs) {
        return (ttlMs > 0 ? connection().async().set(key, value, SetArgs.Builder.px(ttlMs))
            : connection().async().set(key, value)).toCompletableFuture();
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void close() {
        connections.forEach(StatefulRedisConnection::close);
        client.shutdown();
    }
}
