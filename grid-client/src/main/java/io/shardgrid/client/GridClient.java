package io.shardgrid.client;

import com.google.protobuf.ByteString;
import io.shardgrid.client.nearcache.InvalidationStreams;
import io.shardgrid.client.nearcache.NearCache;
import io.shardgrid.client.nearcache.NearCacheStats;
import io.shardgrid.client.pipeline.NodePipeline;
import io.shardgrid.client.routing.Channels;
import io.shardgrid.client.routing.ClientTls;
import io.shardgrid.client.routing.RouteTable;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.PartitionAssignment;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * last attempt's code, never a DEADLINE_EXCEEDED that hides it, unless an earlier attempt of a write
 * may have been applied: then OUTCOME_UNKNOWN, whatever later attempts answered.
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
    /** One attempt waits at most this long before a retry (idempotent ops) or OUTCOME_UNKNOWN. */
    private static final long ATTEMPT_TIMEOUT_MS = 2_000;
    private final GridClientConfig config;
    /** Where futures complete; null = on the transport thread that got the answer. */
    private final Executor callbackExecutor;
    private final Channels channels;
    private final ScheduledExecutorService scheduler;
    private final RouteTable routes;
    private final Map<String, NodePipeline> pipelines = new ConcurrentHashMap<>();
    /** Null unless the near cache is on. */
    private NearCache nearCache;
    private InvalidationStreams invalidations;
    /** Sends Batch messages; one thread, so callers never block on the network. */
    private final ExecutorService flusher =
        Executors.newSingleThreadExecutor(DaemonThreads.named("shardgrid-client-flusher"));

    private GridClient(GridClientConfig config, Executor callbackExecutor, ClientTls tls, String clientToken) {
        this.config = config;
        this.channels = new Channels(tls, clientToken);
        this.callbackExecutor = callbackExecutor;
        this.scheduler =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shardgrid-client-scheduler"));
        this.routes = new RouteTable(config.seeds(), channels, scheduler);
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
            byte[] cached = nearCache.get(partition, key, System.currentTimeMillis());
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
                    nearCache.put(fillTicket, key, value, r.getGet().getExpireAtMs());
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
     * (empty when absent). Fails with one of the reads' failures, once every read finished.
     */
    public CompletableFuture<List<Optional<byte[]>>> getAll(List<byte[]> keys) {
        List<CompletableFuture<Optional<byte[]>>> parts = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            parts.add(get(key));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
            .thenApply(ignored -> parts.stream().map(CompletableFuture::join).toList());
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
        List<CompletableFuture<Void>> parts = new ArrayList<>(entries.size());
        entries.forEach((k, v) -> parts.add(set(utf8(k), v, ttl)));
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
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

    /**
     * Forgets {@code key} in the near cache before the caller sees the write finish, whatever its
     * outcome: this client then reads its own completed writes from the server.
     */
    private <T> CompletableFuture<T> forgetAfter(byte[] key, CompletableFuture<T> write) {
        if (nearCache == null) {
            return write;
        }
        byte[] copy = key.clone();
        return write.whenComplete((v, e) -> nearCache.invalidate(copy));
    }

    /** What the near cache did so far; all zero when it is off. */
    public NearCacheStats nearCacheStats() {
        return nearCache == null ? new NearCacheStats(0, 0, 0, 0, 0) : nearCache.stats();
    }

    /** Batch messages sent to each node so far: how well concurrent calls were coalesced. */
    public long batchMessagesSent() {
        return pipelines.values().stream().mapToLong(NodePipeline::messagesSent).sum();
    }

    // --- the retrying call

    private <T> CompletableFuture<T> call(byte[] key, BatchOp.Builder op, boolean idempotent, boolean anyReplica,
                                          Function<BatchResult, Error> errorOf, Function<BatchResult, T> valueOf) {
        if (key.length == 0) {
            return CompletableFuture.failedFuture(GridException.invalidArgument("key must not be empty"));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        long deadlineNs = System.nanoTime() + config.timeout().toNanos();
        attempt(key, op, idempotent, anyReplica, errorOf, valueOf, result, deadlineNs, 0, false);
        // whenCompleteAsync completes its own future on the executor, so the caller's stages run there.
        return callbackExecutor == null ? result : result.whenCompleteAsync((v, e) -> { }, callbackExecutor);
    }

    private <T> void attempt(byte[] key, BatchOp.Builder op, boolean idempotent, boolean anyReplica,
                             Function<BatchResult, Error> errorOf, Function<BatchResult, T> valueOf,
                             CompletableFuture<T> result, long deadlineNs, int attempt, boolean mayHaveApplied) {
        PartitionMap map;
        try {
            map = routes.map();
        } catch (GridException e) {
            result.completeExceptionally(e);
            return;
        }
        PartitionAssignment partition = map.partitionOf(key);
        String address = routes.addressFor(partition, anyReplica);
        long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()));
        long attemptMs = Math.min(remainingMs, ATTEMPT_TIMEOUT_MS);
        pipeline(address).submit(op.clone(), attemptMs).whenComplete((r, failure) -> {
            GridException error;
            if (failure instanceof TimeoutException) {
                error = new GridException(GridErrorCode.DEADLINE_EXCEEDED, "no answer from " + address + " within "
                    + attemptMs + " ms; the operation may or may not have been applied");
            } else if (failure != null) {
                error = failure instanceof GridException g ? g
                    : new GridException(GridErrorCode.OUTCOME_UNKNOWN, failure.toString(), failure);
            } else {
                Error e = errorOf.apply(r);
                if (e == null || e.getCode() == io.shardgrid.proto.v1.ErrorCode.OK) {
                    result.complete(valueOf.apply(r));
                    return;
                }
                GridErrorCode code = GridErrorCode.fromWire(e.getCodeValue());
                error = new GridException(code, e.getMessage(), e.getLeaderHint().getNodeId(), e.getMapEpoch(), null);
                if (!error.leaderHint().isEmpty()) {
                    routes.hintLeader(partition.partitionId(), error.leaderHint());
                }
            }
            int attempts = attempt + 1;
            // Sticky: once one attempt of a write may have been applied, so may the whole operation.
            boolean maybe = mayHaveApplied
                || (!op.hasGet() && error.code().outcome() == GridErrorCode.Outcome.AMBIGUOUS);
            if (!error.code().retryable(idempotent, attempts)) {
                result.completeExceptionally(finalError(error, idempotent, attempts, maybe, ""));
                return;
            }
            long backoffMs = error.code() == GridErrorCode.NOT_LEADER && !error.leaderHint().isEmpty() && attempt == 0
                ? 0 : Math.min(200, 10L << Math.min(attempt, 4));
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > deadlineNs) {
                // The last attempt's own code, not DEADLINE_EXCEEDED: the caller learns why it failed.
                result.completeExceptionally(finalError(error, idempotent, attempts, maybe,
                    " within " + config.timeout().toMillis() + " ms"));
                return;
            }
            Runnable again = () -> attempt(key, op, idempotent, anyReplica, errorOf, valueOf, result, deadlineNs,
                attempts, maybe);
            if (error.code() != GridErrorCode.NOT_LEADER || error.leaderHint().isEmpty()) {
                routes.refresh();
            }
            if (backoffMs == 0) {
                again.run();
            } else {
                scheduler.schedule(again, backoffMs, TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * The error a caller sees when retrying stops: the last attempt's own, unless a write that may
     * have been applied would then read as "nothing applied" (a NOT_LEADER after an attempt whose
     * answer was lost) or as resendable (DEADLINE_EXCEEDED for an increment): then OUTCOME_UNKNOWN.
     */
    private static GridException finalError(GridException error, boolean idempotent, int attempts,
                                            boolean mayHaveApplied, String within) {
        String tried = attempts == 1 ? "" : "after " + attempts + " attempts" + within + ": ";
        GridErrorCode code = error.code();
        boolean hidesMaybe = code.outcome() == GridErrorCode.Outcome.DEFINITE
            || (!idempotent && code.retry() == GridErrorCode.Retry.IF_IDEMPOTENT);
        if (mayHaveApplied && hidesMaybe && code != GridErrorCode.OUTCOME_UNKNOWN) {
            return new GridException(GridErrorCode.OUTCOME_UNKNOWN, tried + "the operation may or may not have "
                + "been applied; the last attempt answered " + error.getMessage(), error.leaderHint(),
                error.mapEpoch(), error);
        }
        return tried.isEmpty() ? error
            : new GridException(code, tried + error.detail(), error.leaderHint(), error.mapEpoch(), error);
    }

    private NodePipeline pipeline(String address) {
        return pipelines.computeIfAbsent(address, a -> new NodePipeline(channels.get(a), config.maxBatchOps(),
            config.maxBatchBytes(), config.maxInFlightPerNode(), flusher));
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
        if (invalidations != null) {
            invalidations.close();
        }
        pipelines.values().forEach(NodePipeline::close);
        scheduler.shutdownNow();
        flusher.shutdown();
        channels.close();
    }

    /** Starts the near cache: one invalidation stream per node, waiting briefly for them to open. */
    private void startNearCache(long waitMs) {
        PartitionMap map = routes.map();
        nearCache = new NearCache(map.partitionCount(), config.nearCacheMaxEntries(), config.nearCacheMaxAge());
        invalidations = new InvalidationStreams(channels, scheduler, nearCache, routes::currentOrNull, routes::offer);
        routes.onChange((before, after) -> {
            nearCache.onMapChange(before, after);
            invalidations.sync(after);
        });
        invalidations.sync(map);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (!invalidations.allConnected() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Builds a client: {@code GridClient.builder().seeds("host:port", …).build()}. */
    public static final class Builder {
        private List<String> seeds = GridClientConfig.LOCAL_CLUSTER;
        private Duration timeout = GridClientConfig.defaults().timeout();
        private int maxBatchOps = GridClientConfig.defaults().maxBatchOps();
        private int maxBatchBytes = GridClientConfig.defaults().maxBatchBytes();
        private int maxInFlightPerNode = GridClientConfig.defaults().maxInFlightPerNode();
        private long nearCacheMaxEntries;
        private Duration nearCacheMaxAge = GridClientConfig.defaults().nearCacheMaxAge();
        private Executor callbackExecutor;
        private Path tlsCa;
        private Path tlsCertificate;
        private Path tlsKey;
        private String clientToken = "";

        /** Any nodes' gRPC addresses (default: the local cluster's); the rest are learned from the map. */
        public Builder seeds(String... seeds) {
            return seeds(Arrays.asList(seeds));
        }

        public Builder seeds(List<String> seeds) {
            this.seeds = List.copyOf(seeds);
            return this;
        }

        /** Deadline of each call, its retries included (default 5 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

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

        /** Talks TLS to nodes whose certificates {@code caPem} signed (nodes started with {@code --tls-*}). */
        public Builder tls(Path caPem) {
            this.tlsCa = caPem;
            return this;
        }

        /** Presents this client certificate and PKCS#8 key (PEM) to nodes that ask for one ({@code --tls-client-auth}). */
        public Builder mtls(Path certificatePem, Path keyPem) {
            this.tlsCertificate = certificatePem;
            this.tlsKey = keyPem;
            return this;
        }

        /** Connects to a seed and fetches the partition map; fails with UNAVAILABLE if none answers in time. */
        public GridClient build() {
            GridClientConfig config = new GridClientConfig(seeds, timeout, maxBatchOps, maxBatchBytes,
                maxInFlightPerNode, nearCacheMaxEntries, nearCacheMaxAge);
            GridClient client = new GridClient(config, callbackExecutor, new ClientTls(tlsCa, tlsCertificate, tlsKey),
                clientToken);
            try {
                client.routes.start(config.timeout().toMillis());
                if (config.nearCacheEnabled()) {
                    client.startNearCache(Math.min(2_000, config.timeout().toMillis()));
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
