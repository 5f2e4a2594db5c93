package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.transport.TokenInterceptor;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * {@code /debug/profile?seconds=N}: a JFR recording of this node ({@link Profiler}), for the admin
 * token only. Answers on the profiler thread once the recording ends; refuses at once without the
 * token (none configured refuses too, as the admin gRPC API does) or while another one runs.
 */
final class ProfileHandler implements AutoCloseable {
    private final String nodeId;
    private final boolean adminTokenSet;
    private final TokenInterceptor adminToken;
    /**
     * Recordings run one at a time on their own thread, not on the HTTP workers: a call holds its
     * connection for up to 300 s, and the workers also answer the liveness probe.
     */
    private final ExecutorService profiler;
    private final Semaphore profiling = new Semaphore(1);

    ProfileHandler(String nodeId, boolean adminTokenSet, TokenInterceptor adminToken) {
        this.nodeId = nodeId;
        this.adminTokenSet = adminTokenSet;
        this.adminToken = adminToken;
        this.profiler = Executors.newSingleThreadExecutor(DaemonThreads.named(nodeId + "-profiler"));
    }

    void profile(HttpExchange ex) {
        int seconds;
        try {
            if (!adminToken.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
                throw new GridException(GridErrorCode.UNAUTHENTICATED, adminTokenSet ? "missing or wrong admin token"
                    : "profiling needs an admin token: start the node with --admin-token");
            }
            seconds = seconds(QueryParams.of(ex).get("seconds", "30"));
            if (!profiling.tryAcquire()) {
                throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "a profile is already being recorded");
            }
        } catch (RuntimeException e) {
            refuse(ex, e);
            return;
        }
        try {
            profiler.execute(() -> HttpAnswers.answer(nodeId, ex, x -> {
                try {
                    byte[] recording = Profiler.record(Duration.ofSeconds(seconds));
                    x.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    x.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + nodeId + ".jfr\"");
                    HttpAnswers.reply(x, 200, recording);
                } finally {
                    profiling.release();
                }
            }));
        } catch (RejectedExecutionException e) {
            profiling.release();
            refuse(ex, new GridException(GridErrorCode.UNAVAILABLE, "node is stopping"));
        }
    }

    private void refuse(HttpExchange ex, RuntimeException why) {
        HttpAnswers.answer(nodeId, ex, x -> {
            throw why;
        });
    }

    private static int seconds(String s) {
        int seconds;
        try {
            seconds = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw GridException.invalidArgument("seconds '" + s + "' is not a number");
        }
        if (seconds < 1 || seconds > 300) {
            throw GridException.invalidArgument("seconds " + seconds + " must be in [1, 300]");
        }
        return seconds;
    }

    @Override
    public void close() {
        profiler.shutdownNow();
    }
}
