package io.shardgrid.bench.load;

import io.shardgrid.client.GridClient;
import io.shardgrid.client.nearcache.NearCacheStats;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Shardgrid through the smart client; {@code pipelineDepth} bounds operations per Batch message. */
final class GridTarget implements KvTarget {
    private final GridClient client;

    GridTarget(String seeds, int pipelineDepth, long nearCacheEntries, GridAccess access) {
        GridClient.Builder builder = GridClient.builder().seeds(Arrays.asList(seeds.split(",")))
            .timeout(Duration.ofSeconds(10))
            .tls(access.tlsCa()).mtls(access.tlsCert(), access.tlsKey()).clientToken(access.clientToken())
            .pipelining(Math.max(1, pipelineDepth), 1 << 20, 65_536);
        if (nearCacheEntries > 0) {
            builder.nearCache(nearCacheEntries, Duration.ofSeconds(30));
        }
        this.client = builder.build();
    }

    @Override
    public Optional<String> notes() {
        NearCacheStats s = client.nearCacheStats();
        long reads = s.hits() + s.misses();
        return reads == 0 ? Optional.empty() : Optional.of(String.format(
            "near cache: %.1f%% of %d reads served locally, %d invalidations, %d partition drops",
            100.0 * s.hits() / reads, reads, s.invalidations(), s.partitionDrops()));
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
