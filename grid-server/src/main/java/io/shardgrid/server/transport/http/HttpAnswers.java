package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.transport.GrpcErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every HTTP handler answers: a handler throws a {@link GridException} (or bad input) and the
 * caller gets the HTTP status of its grid error code with the message as plain text.
 */
final class HttpAnswers {
    private static final Logger LOG = LoggerFactory.getLogger(HttpAnswers.class);

    private HttpAnswers() {
    }

    /** One HTTP handler; it may throw, and {@link #answer} turns the throw into the reply. */
    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws Exception;
    }

    /** Runs {@code handler}, answers its failure with the matching status, and closes the exchange. */
    static void answer(String nodeId, HttpExchange exchange, Handler handler) {
        try (exchange) {
            try {
                handler.handle(exchange);
            } catch (GridException e) {
                reply(exchange, status(e.code()), e.getMessage() + "\n");
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, "INVALID_ARGUMENT: " + e.getMessage() + "\n");
            } catch (IOException e) {
                throw e; // the client went away while it was being answered: no one to tell
            } catch (Exception e) {
                GridException g = GrpcErrors.toGrid(e);
                reply(exchange, status(g.code()), g.getMessage() + "\n");
            }
        } catch (IOException e) {
            LOG.debug("{}: HTTP client went away: {}", nodeId, e.toString());
        }
    }

    /** The HTTP status a grid error code answers with. */
    static int status(GridErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, UNKNOWN_PARTITION -> 400;
            case UNAUTHENTICATED -> 401;
            case NOT_FOUND -> 404;
            case CONDITION_FAILED, WRONG_TYPE -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case NOT_LEADER, STALE_EPOCH, UNAVAILABLE, OUTCOME_UNKNOWN -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }

    /** Plain text, unless the handler already chose a content type. */
    static void reply(HttpExchange ex, int status, String body) throws IOException {
        if (!ex.getResponseHeaders().containsKey("Content-Type")) {
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        }
        reply(ex, status, body.getBytes(StandardCharsets.UTF_8));
    }

    static void reply(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
