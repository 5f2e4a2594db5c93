package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.server.core.GetResult;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import io.shardgrid.server.transport.WriteOutcomes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The seed's key-value calls: {@code /set?key=&value=&ttl=} (or the value as the POST body),
 * {@code /get?key=} and {@code /delete?key=}, served here when this node leads the key's partition
 * and forwarded to its leader otherwise. One attempt each; {@link LeaderChangeRetry} repeats them.
 */
final class KeyValueHandlers {
    /** Room in a request body beyond the value limit, so the limit's own error names the value's length. */
    private static final int BODY_SLACK_BYTES = 64 * 1024;

    private final GridService grid;
    private final LeaderForwarder forwarder;
    private final Limits limits;

    KeyValueHandlers(GridService grid, LeaderForwarder forwarder, Limits limits) {
        this.grid = grid;
        this.forwarder = forwarder;
        this.limits = limits;
    }

    void set(HttpExchange ex) throws IOException, InterruptedException {
        QueryParams q = QueryParams.of(ex);
        byte[] key = q.required("key");
        byte[] value = q.has("value") ? q.get("value", "").getBytes(StandardCharsets.UTF_8) : cachedBody(ex);
        long ttlMs = q.ttlMs();
        if (forwarder.forward(ex, key, value)) {
            return;
        }
        WriteResult result = grid.write(WriteCommand.set(key, value, ttlMs)).join();
        WriteOutcomes.requireOk(result);
        HttpAnswers.reply(ex, 200, "ok");
    }

    void get(HttpExchange ex) throws IOException, InterruptedException {
        byte[] key = QueryParams.of(ex).required("key");
        if (forwarder.forward(ex, key, null)) {
            return;
        }
        GetResult result = grid.get(key, false).join();
        if (!result.found()) {
            HttpAnswers.reply(ex, 404, "not found");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        HttpAnswers.reply(ex, 200, result.value());
    }

    void delete(HttpExchange ex) throws IOException, InterruptedException {
        byte[] key = QueryParams.of(ex).required("key");
        if (forwarder.forward(ex, key, null)) {
            return;
        }
        WriteResult result = grid.write(WriteCommand.delete(key)).join();
        WriteOutcomes.requireOk(result);
        HttpAnswers.reply(ex, result.applied() ? 200 : 404, result.applied() ? "deleted" : "not found");
    }

    /** The request body, read once and kept on the exchange so a retry sees it again. */
    private byte[] cachedBody(HttpExchange ex) throws IOException {
        Object cached = ex.getAttribute("body");
        if (cached instanceof byte[] bytes) {
            return bytes;
        }
        int maxBody = limits.maxValueBytes() + BODY_SLACK_BYTES;
        byte[] body = ex.getRequestBody().readNBytes(maxBody + 1);
        if (body.length > maxBody) {
            throw GridException.invalidArgument("request body exceeds " + maxBody + " bytes (value limit "
                + limits.maxValueBytes() + " bytes)");
        }
        ex.setAttribute("body", body);
        return body;
    }
}
