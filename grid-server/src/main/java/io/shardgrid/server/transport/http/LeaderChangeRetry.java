package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.server.transport.GridMetrics;
import io.shardgrid.server.transport.GrpcErrors;
import java.time.Duration;

/**
 * A curl user cannot follow a leader hint, so while leadership moves (an election, a transfer) the
 * node retries the idempotent {@code /set}, {@code /get} and {@code /delete} itself, re-resolving
 * the leader each time, with the shared backoff until the request timeout; and it counts each
 * request once in the metrics, with its final outcome.
 */
final class LeaderChangeRetry {
    /** Elections take a few hundred milliseconds: start soon, never wait long. */
    private static final RetryPolicy POLICY = RetryPolicy.exponential(Duration.ofMillis(25), Duration.ofMillis(400));

    private final GridMetrics metrics;
    private final Duration requestTimeout;

    LeaderChangeRetry(GridMetrics metrics, Duration requestTimeout) {
        this.metrics = metrics;
        this.requestTimeout = requestTimeout;
    }

    void run(HttpExchange ex, String op, HttpAnswers.Handler call) throws GridException {
        long startNs = System.nanoTime();
        // A forwarded request answers at once; the node that forwarded it does the retrying.
        boolean forwarded = LeaderForwarder.isForwarded(ex);
        try {
            POLICY.call(requestTimeout, () -> {
                call.handle(ex);
                return null;
            }, e -> !forwarded && leadershipMoving(GrpcErrors.toGrid(e).code()));
        } catch (Exception e) {
            GridException g = e instanceof GridException ge ? ge : GrpcErrors.toGrid(e);
            metrics.request(op, g.code(), startNs);
            throw g;
        }
        metrics.request(op, GridErrorCode.OK, startNs);
    }

    /** Set, get and delete are idempotent, so one that may have been applied is sent again too. */
    private static boolean leadershipMoving(GridErrorCode code) {
        return code == GridErrorCode.NOT_LEADER || code == GridErrorCode.UNAVAILABLE
            || code == GridErrorCode.OUTCOME_UNKNOWN;
    }
}
