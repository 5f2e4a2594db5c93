package io.shardgrid.bench.load;

import io.shardgrid.client.GridClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/** Shardgrid through the smart client; {@code pipelineDepth} bounds operations per Batch message. */
final class GridTarget implements KvTarget {
    private final GridClient client;

    GridTarget(String seeds, int pipelineDepth) {
        this.client = GridClient.builder().seeds(Arrays.asList(seeds.split(",")))
            .timeout(Duration.ofSeconds(10))
            .pipelining(Math.max(1, pipelineDepth), 1 << 20, 65_536)
            .build();
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return client.get(key);
    }

    @Override
    public CompletableFuture<?> set(byte[] key, byte[] value, long ttlMs) {
        return client.set(key, value, Duration.ofMillis(ttlMs));
    }

    @Override
    public String name() {
        return "shardgrid";
    }

    @Override
    public void close() {
        client.close();
    }
}
