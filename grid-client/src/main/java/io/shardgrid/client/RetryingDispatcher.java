package io.shardgrid.client;

import io.shardgrid.client.pipeline.NodePipeline;
import io.shardgrid.client.routing.Channels;
import io.shardgrid.client.routing.RouteTable;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.Error;
import java.time.Duration;
import java.util.Map;
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
 * Sends one operation to the node its partition names (the leader, or any replica for stale reads)
 * through that node's {@link NodePipeline}, and retries it within the call's deadline as
 * {@link GridClient}'s class comment states: by each error code's retry class, after a map refresh
 * or a leader hint, waiting between attempts as the shared {@link RetryPolicy} says.
 */
final class RetryingDispatcher implements AutoCloseable {
    /** One attempt waits at most this long before a retry (idempotent ops) or OUTCOME_UNKNOWN. */
    private static final long ATTEMPT_TIMEOUT_MS = 2_000;
    /** Leader elections take a few hundred milliseconds: retry soon, and never wait long. */
    private static final RetryPolicy POLICY = RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(200));

    private final GridClientConfig config;
    /** Where futures complete; null = on the transport thread that got the answer. */
    private final Executor callbackExecutor;
    private final RouteTable routes;
    private final Channels channels;
    private final ScheduledExecutorService scheduler;
    private final Map<String, NodePipeline> pipelines = new ConcurrentHashMap<>();
    /** Sends Batch messages; one thread, so callers never block on the network. */
    private final ExecutorService flusher =
        Executors.newSingleThreadExecutor(DaemonThreads.named("shardgrid-client-flusher"));

    RetryingDispatcher(GridClientConfig config, Executor callbackExecutor, RouteTable routes, Channels channels,
                       ScheduledExecutorService scheduler) {
        this.config = config;
        this.callbackExecutor = callbackExecutor;
        this.routes = routes;
        this.channels = channels;
        this.scheduler = scheduler;
    }

    /**
     * The operation's result, or its failure once retrying stops.
     *
     * @param idempotent whether sending it twice is harmless (then a lost answer is retried)
     * @param anyReplica whether any replica may answer (stale reads)
     * @param errorOf    the error field of the op's result
     * @param valueOf    what the caller gets from a successful result
     */
    <T> CompletableFuture<T> call(byte[] key, BatchOp.Builder op, boolean idempotent, boolean anyReplica,
                                  Function<BatchResult, Error> errorOf, Function<BatchResult, T> valueOf) {
        if (key.length == 0) {
            return CompletableFuture.failedFuture(GridException.invalidArgument("key must not be empty"));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        RetryPolicy.Backoff backoff = POLICY.until(System.nanoTime() + config.timeout().toNanos());
        attempt(new Call<>(key, op, idempotent, anyReplica, errorOf, valueOf, result, backoff), 0, false, null);
        // whenCompleteAsync completes its own future on the executor, so the caller's stages run there.
        return callbackExecutor == null ? result : result.whenCompleteAsync((v, e) -> { }, callbackExecutor);
    }

    /** What every attempt of one operation shares. */
    private record Call<T>(byte[] key, BatchOp.Builder op, boolean idempotent, boolean anyReplica,
                           Function<BatchResult, Error> errorOf, Function<BatchResult, T> valueOf,
                           CompletableFuture<T> result, RetryPolicy.Backoff backoff) {
    }

    /** @param previous the last attempt's error, null before the first */
    private <T> void attempt(Call<T> call, int attempt, boolean mayHaveApplied, GridException previous) {
        PartitionMap map;
        try {
            map = routes.map();
        } catch (GridException e) {
            call.result().completeExceptionally(e);
            return;
        }
        PartitionAssignment partition = map.partitionOf(call.key());
        String address = routes.addressFor(partition, call.anyReplica());
        long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(call.backoff().remainingNanos()));
        long attemptMs = Math.min(remainingMs, ATTEMPT_TIMEOUT_MS);
        pipeline(address).submit(call.op().clone(), attemptMs).whenComplete((r, failure) -> {
            GridException error;
            if (failure instanceof TimeoutException && previous != null && attemptMs < ATTEMPT_TIMEOUT_MS) {
                // The call's deadline, not the node, cut this attempt short: the attempt before it tells
                // why the call failed (and this one, a write, may have been applied).
                call.result().completeExceptionally(finalError(previous, call.idempotent(), attempt + 1,
                    mayHaveApplied || !call.op().hasGet(), " within " + config.timeout().toMillis() + " ms"));
                return;
            } else if (failure instanceof TimeoutException) {
                error = new GridException(GridErrorCode.DEADLINE_EXCEEDED, "no answer from " + address + " within "
                    + attemptMs + " ms; the operation may or may not have been applied");
            } else if (failure != null) {
                error = failure instanceof GridException g ? g
                    : new GridException(GridErrorCode.OUTCOME_UNKNOWN, failure.toString(), failure);
            } else {
                Error e = call.errorOf().apply(r);
                if (e == null || e.getCode() == io.shardgrid.proto.v1.ErrorCode.OK) {
                    call.result().complete(call.valueOf().apply(r));
                    return;
                }
                GridErrorCode code = GridErrorCode.fromWire(e.getCodeValue());
                error = new GridException(code, e.getMessage(), e.getLeaderHint().getNodeId(), e.getMapEpoch(), null);
                if (!error.leaderHint().isEmpty()) {
                    routes.hintLeader(partition.partitionId(), error.leaderHint());
                }
            }
            retryOrFail(call, error, attempt + 1, mayHaveApplied);
        });
    }

    private <T> void retryOrFail(Call<T> call, GridException error, int attempts, boolean mayHaveApplied) {
        // Sticky: once one attempt of a write may have been applied, so may the whole operation.
        boolean maybe = mayHaveApplied
            || (!call.op().hasGet() && error.code().outcome() == GridErrorCode.Outcome.AMBIGUOUS);
        if (!error.code().retryable(call.idempotent(), attempts)) {
            call.result().completeExceptionally(finalError(error, call.idempotent(), attempts, maybe, ""));
            return;
        }
        // A leader hint replaces a map refresh; the first is followed at once (its sender just saw the election).
        boolean hinted = error.code() == GridErrorCode.NOT_LEADER && !error.leaderHint().isEmpty();
        boolean followHint = hinted && attempts == 1;
        long delayNs = followHint ? (call.backoff().remainingNanos() > 0 ? 0 : -1) : call.backoff().nextDelayNanos();
        if (delayNs < 0) {
            // The last attempt's own code, not DEADLINE_EXCEEDED: the caller learns why it failed.
            call.result().completeExceptionally(finalError(error, call.idempotent(), attempts, maybe,
                " within " + config.timeout().toMillis() + " ms"));
            return;
        }
        if (!hinted) {
            routes.refresh();
        }
        if (delayNs == 0) {
            attempt(call, attempts, maybe, error);
        } else {
            scheduler.schedule(() -> attempt(call, attempts, maybe, error), delayNs, TimeUnit.NANOSECONDS);
        }
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
                + "been applied; the last answer was " + error.getMessage(), error.leaderHint(),
                error.mapEpoch(), error);
        }
        return tried.isEmpty() ? error
            : new GridException(code, tried + error.detail(), error.leaderHint(), error.mapEpoch(), error);
    }

    private NodePipeline pipeline(String address) {
        return pipelines.computeIfAbsent(address, a -> new NodePipeline(channels.get(a), config.maxBatchOps(),
            config.maxBatchBytes(), config.maxInFlightPerNode(), flusher));
    }

    /** Batch messages sent to each node so far: how well concurrent calls were coalesced. */
    long batchMessagesSent() {
        return pipelines.values().stream().mapToLong(NodePipeline::messagesSent).sum();
    }

    @Override
    public void close() {
        pipelines.values().forEach(NodePipeline::close);
        flusher.shutdown();
    }
}
