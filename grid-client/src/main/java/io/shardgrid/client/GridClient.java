package io.shardgrid.client;

import com.google.protobuf.ByteString;
import io.shardgrid.client.nearcache.ClientNearCache;
import io.shardgrid.client.nearcache.NearCache;
import io.shardgrid.client.nearcache.NearCacheStats;
import io.shardgrid.client.pipeline.BoundedFanOut;
import io.shardgrid.client.routing.Channels;
import io.shardgrid.client.routing.ClientTls;
import io.shardgrid.client.routing.RouteTable;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.DeleteRequest;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * The Shardgrid smart client: holds the partition map, sends every operation straight to its
 * partition's leader (or any replica for {@link ReadConsistency#STALE_OK} reads), pipelines
 * concurrent operations to a node over one Batch stream, and retries within the deadline when
 * leadership moves.
 *
 * <p>Retries follow each code's retry class in {@link GridErrorCode}, and nothing else: NOT_LEADER
 * and STALE_EPOCH are retried after a map refresh, UNAVAILABLE after a backoff until the deadline,
 * RESOURCE_EXHAUSTED (memory full, queue full) only a few times. An outcome that may hide an applied
 * write (a lost connection, an attempt without an answer, OUTCOME_UNKNOWN from the node) is retried
 * for {@code get}, {@code set} and {@code delete} (applying them twice is harmless); {@code increment}
 * and {@code compareAndSet} then fail with OUTCOME_UNKNOWN. When retrying stops, the caller gets the
 * last attempt's code, never a DEADLINE_EXCEEDED that hides it (an attempt the deadline cut short
 * reports the one before it), unless an earlier attempt of a write may have been applied: then
 * OUTCOME_UNKNOWN, whatever later attempts answered.
 *
 * <p><b>Errors.</b> Every future fails only with a {@link GridException} carrying its
 * {@link GridErrorCode} (the table in {@code proto/shardgrid/v1/errors.proto}; {@code join()} and
 * dependent stages see it as the cause of a {@code CompletionException}, as CompletableFuture
 * does). Any call can fail with INVALID_ARGUMENT (empty or oversized key, oversized value, negative
 * TTL: refused before anything changed), UNAVAILABLE (no leader or quorum, no node reachable, until
 * the deadline), RESOURCE_EXHAUSTED (more than {@code maxInFlightPerNode} operations await one node;
 * for a write also a full memory budget with eviction off, or a full write queue), UNAUTHENTICATED
 * (the nodes have a {@code --client-token} and {@link Builder#clientToken} is missing or wrong) and
 * INTERNAL (a server bug). Writes add OUTCOME_UNKNOWN and DEADLINE_EXCEEDED when the write may or may not have
 * been applied; {@link #increment} adds WRONG_TYPE. NOT_LEADER and STALE_EPOCH never reach the caller while the deadline allows a retry.
 *
 * <p><b>Deadline.</b> {@link Builder#timeout} bounds the whole call: every attempt, map refresh and
 * backoff. One attempt waits at most two seconds for its node before the next one.
 *
 * <p><b>Idempotency.</b> {@code get}, {@code set} and {@code delete} may be sent more than once
 * when an answer is lost (applying them twice leaves the same state); {@code increment} and
 * {@code compareAndSet} are sent again only when the node said they were not applied.
 *
 * <p><b>Threads.</b> Futures complete on the client's own transport threads unless
 * {@link Builder#callbackExecutor} names another executor. A dependent stage that blocks there
 * (a {@code thenApply} that waits on I/O or on another call's {@code join}) stalls this client's
 * network traffic for every caller: block only in {@code *Async} stages with your own executor, or
 * give the builder one. The client is thread-safe; one instance per program is the intended use.
 *
 * <p>The async methods are primary; {@link #sync()} blocks on them. Keys are bytes compared by
 * content; the {@code String} overloads encode them as UTF-8.
 */
public final class GridClient implements AutoCloseable {
    private final Channels channels;
    private final ScheduledExecutorService scheduler;
    private final RouteTable routes;
    private final RetryingDispatcher dispatcher;
    /** Calls a getAll or setAll keeps outstanding at once. */
    private final int bulkWindow;
    /** Null unless the near cache is on. */
    private ClientNearCache nearCache;

    private GridClient(GridClientConfig config, Executor callbackExecutor, ClientTls tls, String clientToken) {
        this.channels = new Channels(tls, clientToken);
        this.scheduler =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shardgrid-client-scheduler"));
        this.routes = new RouteTable(config.seeds(), channels, scheduler);
        this.dispatcher = new RetryingDispatcher(config, callbackExecutor, routes, channels, scheduler);
        // Half the limit: a bulk call alone never reaches it, and leaves room for calls beside it.
        this.bulkWindow = Math.max(1, config.maxInFlightPerNode() / 2);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The partition map this client routes by; refreshed in the background and after routing errors. */
    public PartitionMap partitionMap() {
        return routes.map();
    }

    /** A blocking view of this client: each call waits for its future and throws its {@link GridException}. */
    public SyncGridClient sync() {
        return new SyncGridClient(this);
    }

    // --- reads

    /** Reads {@code key} linearizably from its partition's leader; empty when absent or expired. */
    public CompletableFuture<Optional<byte[]>> get(byte[] key) {
        return get(key, ReadConsistency.LINEARIZABLE);
    }

    /**
     * Reads {@code key}: {@link ReadConsistency#LINEARIZABLE} from the leader (sees every write
     * acknowledged before the call started), {@link ReadConsistency#STALE_OK} from any replica (may
     * miss the latest writes, spreads load). With the near cache on, a cached value answers at once.
     */
    public CompletableFuture<Optional<byte[]>> get(byte[] key, ReadConsistency consistency) {
        NearCache.Ticket ticket = null;
        int partition = -1;
        if (nearCache != null && key.length > 0) {
            partition = routes.map().partitionOf(key).partitionId();
            byte[] cached = nearCache.cached(partition, key);
            if (cached != null) {
                return CompletableFuture.completedFuture(Optional.of(cached));
            }
            // Only linearizable reads fill the cache: a replica's answer may already be stale.
            ticket = consistency == ReadConsistency.LINEARIZABLE ? nearCache.ticket(partition, key) : null;
        }
        NearCache.Ticket fillTicket = ticket;
        GetRequest request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key))
            .setHeader(RequestHeader.newBuilder().setConsistency(consistency == ReadConsistency.STALE_OK
                ? io.shardgrid.proto.v1.ReadConsistency.STALE_OK : io.shardgrid.proto.v1.ReadConsistency.LINEARIZABLE))
            .build();
        return call(key, BatchOp.newBuilder().setGet(request), true, consistency == ReadConsistency.STALE_OK,
            r -> r.getGet().getError(),
            r -> {
                if (!r.getGet().getFound()) {
                    return Optional.empty();
                }
                byte[] value = r.getGet().getValue().toByteArray();
                if (fillTicket != null) {
                    nearCache.fill(fillTicket, key, value, r.getGet().getExpireAtMs());
                }
                return Optional.of(value);
            });
    }

    /** {@link #get(byte[])} with a UTF-8 key and value. */
    public CompletableFuture<Optional<String>> get(String key) {
        return get(utf8(key)).thenApply(v -> v.map(b -> new String(b, StandardCharsets.UTF_8)));
    }

    /**
     * Reads many keys linearizably, pipelined per node; the list holds one entry per key, in order
     * (empty when absent). Fails with one of the reads' failures, once every read finished. Any
     * number of keys: at most half the per-node in-flight limit is outstanding at once.
     */
    public CompletableFuture<List<Optional<byte[]>>> getAll(List<byte[]> keys) {
        return BoundedFanOut.map(keys, bulkWindow, this::get);
    }

    // --- writes

    /**
     * Sets {@code key} to {@code value}, replicated to a majority before the future completes;
     * {@code ttl} of zero (or null) means it never expires. Safe to retry on any failure.
     */
    public CompletableFuture<Void> set(byte[] key, byte[] value, Duration ttl) {
        SetRequest request = SetRequest.newBuilder().setKey(ByteString.copyFrom(key))
            .setValue(ByteString.copyFrom(value)).setTtlMs(ttlMs(ttl)).build();
        return forgetAfter(key, call(key, BatchOp.newBuilder().setSet(request), true, false, r -> r.getSet().getError(),
            r -> null));
    }

    /** {@link #set(byte[], byte[], Duration)} without expiry. */
    public CompletableFuture<Void> set(byte[] key, byte[] value) {
        return set(key, value, Duration.ZERO);
    }

    /** {@link #set(byte[], byte[], Duration)} with a UTF-8 key and value. */
    public CompletableFuture<Void> set(String key, String value, Duration ttl) {
        return set(utf8(key), utf8(value), ttl);
    }

    /** {@link #set(byte[], byte[], Duration)} with a UTF-8 key and value, without expiry. */
    public CompletableFuture<Void> set(String key, String value) {
        return set(utf8(key), utf8(value), Duration.ZERO);
    }

    /**
     * Sets every entry (UTF-8 keys: a map keyed by {@code byte[]} would compare keys by identity),
     * pipelined per node and not atomic as a whole: completes when all are set, or fails with the
     * first failure once every write finished; the others may have been applied.
     */
    public CompletableFuture<Void> setAll(Map<String, byte[]> entries, Duration ttl) {
        return BoundedFanOut.map(List.copyOf(entries.entrySet()), bulkWindow,
            e -> set(utf8(e.getKey()), e.getValue(), ttl)).thenApply(ignored -> null);
    }

    /** Deletes {@code key}; completes with whether a live key was removed. */
    public CompletableFuture<Boolean> delete(byte[] key) {
        DeleteRequest request = DeleteRequest.newBuilder().setKey(ByteString.copyFrom(key)).build();
        return forgetAfter(key, call(key, BatchOp.newBuilder().setDelete(request), true, false,
            r -> r.getDelete().getError(), r -> r.getDelete().getDeleted()));
    }

    /** {@link #delete(byte[])} with a UTF-8 key. */
    public CompletableFuture<Boolean> delete(String key) {
        return delete(utf8(key));
    }

    /**
     * Sets {@code key} to {@code newValue} only if it holds {@code expected} ({@code null} = only if
     * absent). Completes with whether it swapped. Never sent again once it may have been applied:
     * then it fails with OUTCOME_UNKNOWN, and only a read tells what happened.
     */
    public CompletableFuture<Boolean> compareAndSet(byte[] key, byte[] expected, byte[] newValue, Duration ttl) {
        CompareAndSetRequest.Builder request = CompareAndSetRequest.newBuilder().setKey(ByteString.copyFrom(key))
            .setNewValue(ByteString.copyFrom(newValue)).setTtlMs(ttlMs(ttl));
        if (expected == null) {
            request.setExpectAbsent(true);
        } else {
            request.setExpected(ByteString.copyFrom(expected));
        }
        return forgetAfter(key, call(key, BatchOp.newBuilder().setCompareAndSet(request), false, false,
            r -> r.getCompareAndSet().getError(), r -> r.getCompareAndSet().getSwapped()));
    }

    /**
     * Adds {@code delta} to the decimal integer at {@code key} (absent = 0) and completes with the
     * new value; WRONG_TYPE when the value is not a signed 64-bit integer or the sum overflows.
     * Never sent again once it may have been applied (OUTCOME_UNKNOWN, as for compareAndSet).
     */
    public CompletableFuture<Long> increment(byte[] key, long delta) {
        IncrementRequest request = IncrementRequest.newBuilder().setKey(ByteString.copyFrom(key)).setDelta(delta).build();
        return forgetAfter(key, call(key, BatchOp.newBuilder().setIncrement(request), false, false,
            r -> r.getIncrement().getError(), r -> r.getIncrement().getValue()));
    }

    /** {@link #increment(byte[], long)} with a UTF-8 key. */
    public CompletableFuture<Long> increment(String key, long delta) {
        return increment(utf8(key), delta);
    }

    /** The write, dropping {@code key} from the near cache (when on) before the caller sees it finish. */
    private <T> CompletableFuture<T> forgetAfter(byte[] key, CompletableFuture<T> write) {
        return nearCache == null ? write : nearCache.forgetAfter(key, write);
    }

    private <T> CompletableFuture<T> call(byte[] key, BatchOp.Builder op, boolean idempotent, boolean anyReplica,
                                          Function<BatchResult, Error> errorOf, Function<BatchResult, T> valueOf) {
        return dispatcher.call(key, op, idempotent, anyReplica, errorOf, valueOf);
    }

    /** What the near cache did so far; all zero when it is off. */
    public NearCacheStats nearCacheStats() {
        return nearCache == null ? new NearCacheStats(0, 0, 0, 0, 0) : nearCache.stats();
    }

    /** Batch messages sent to each node so far: how well concurrent calls were coalesced. */
    public long batchMessagesSent() {
        return dispatcher.batchMessagesSent();
    }

    private static long ttlMs(Duration ttl) {
        long ms = ttl == null ? 0 : ttl.toMillis();
        Limits.checkTtl(ms);
        return ms;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        routes.close();
        if (nearCache != null) {
            nearCache.close();
        }
        dispatcher.close();
        scheduler.shutdownNow();
        channels.close();
    }

    /** Builds a client: {@code GridClient.builder().seeds("host:port", …).build()}. */
    public static final class Builder extends ConnectionSettings<Builder> {
        private int maxBatchOps = GridClientConfig.defaults().maxBatchOps();
        private int maxBatchBytes = GridClientConfig.defaults().maxBatchBytes();
        private int maxInFlightPerNode = GridClientConfig.defaults().maxInFlightPerNode();
        private long nearCacheMaxEntries;
        private Duration nearCacheMaxAge = GridClientConfig.defaults().nearCacheMaxAge();
        private Executor callbackExecutor;
        private String clientToken = "";

        /**
         * Pipelining bounds: concurrent calls to one node share Batch messages of at most
         * {@code maxBatchOps} operations and {@code maxBatchBytes}; past {@code maxInFlightPerNode}
         * unanswered operations to a node, a new call fails fast with RESOURCE_EXHAUSTED (retried a
         * few times within the deadline) instead of queueing without bound.
         */
        public Builder pipelining(int maxBatchOps, int maxBatchBytes, int maxInFlightPerNode) {
            this.maxBatchOps = maxBatchOps;
            this.maxBatchBytes = maxBatchBytes;
            this.maxInFlightPerNode = maxInFlightPerNode;
            return this;
        }

        /**
         * Turns the near cache on: up to {@code maxEntries} values read linearizably are kept here,
         * dropped when their key changes anywhere (pushed by the partition leader, usually within
         * milliseconds) and at the latest {@code maxAge} after they were read.
         */
        public Builder nearCache(long maxEntries, Duration maxAge) {
            this.nearCacheMaxEntries = maxEntries;
            this.nearCacheMaxAge = maxAge;
            return this;
        }

        /**
         * Completes every future on {@code executor} instead of the client's transport threads, so
         * that stages chained without {@code *Async} may block. Costs a hand-off per call.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = executor;
            return this;
        }

        /** The cluster's client token ({@code --client-token} of its nodes), sent with every call. */
        public Builder clientToken(String token) {
            this.clientToken = token == null ? "" : token.trim();
            return this;
        }

        /** Connects to a seed and fetches the partition map; fails with UNAVAILABLE if none answers in time. */
        public GridClient build() {
            GridClientConfig config = new GridClientConfig(seeds, timeout, maxBatchOps, maxBatchBytes,
                maxInFlightPerNode, nearCacheMaxEntries, nearCacheMaxAge);
            GridClient client = new GridClient(config, callbackExecutor, clientTls(), clientToken);
            try {
                client.routes.start(config.timeout().toMillis());
                if (config.nearCacheEnabled()) {
                    client.nearCache = ClientNearCache.start(config.nearCacheMaxEntries(), config.nearCacheMaxAge(),
                        Math.min(2_000, config.timeout().toMillis()), client.routes, client.channels, client.scheduler);
                }
            } catch (RuntimeException e) {
                client.close();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw cause instanceof GridException g ? g
                    : new GridException(GridErrorCode.UNAVAILABLE, "could not reach any seed " + config.seeds(), cause);
            }
            return client;
        }
    }
}
