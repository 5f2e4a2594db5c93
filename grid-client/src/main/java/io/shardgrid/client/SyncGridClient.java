package io.shardgrid.client;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** The blocking view of a {@link GridClient}: same operations, same errors, thrown directly. */
public final class SyncGridClient {
    private final GridClient async;

    SyncGridClient(GridClient async) {
        this.async = async;
    }

    public Optional<byte[]> get(byte[] key) {
        return join(async.get(key));
    }

    public Optional<String> get(String key) {
        return join(async.get(key));
    }

    public void set(String key, String value, Duration ttl) {
        join(async.set(key, value, ttl));
    }

    public void set(byte[] key, byte[] value, Duration ttl) {
        join(async.set(key, value, ttl));
    }

    public boolean delete(String key) {
        return join(async.delete(key));
    }

    public long increment(String key, long delta) {
        return join(async.increment(key, delta));
    }

    public boolean compareAndSet(byte[] key, byte[] expected, byte[] newValue, Duration ttl) {
        return join(async.compareAndSet(key, expected, newValue, ttl));
    }

    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GridException g) {
                throw g;
            }
            throw new GridException(GridErrorCode.INTERNAL, String.valueOf(cause), cause);
        }
    }
}
