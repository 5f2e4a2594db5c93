package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.time.DurationText;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A request's query string as the seed's API reads it: the first value of each name wins, and a
 * missing or bad value is INVALID_ARGUMENT naming the parameter.
 */
final class QueryParams {
    private final Map<String, String> values;

    private QueryParams(Map<String, String> values) {
        this.values = values;
    }

    static QueryParams of(HttpExchange ex) {
        Map<String, String> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                q.putIfAbsent(k, v);
            }
        }
        return new QueryParams(q);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The value, or {@code fallback} when the parameter is absent. */
    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** The value as UTF-8 bytes; INVALID_ARGUMENT when absent or empty. */
    byte[] required(String name) {
        return requiredText(name).getBytes(StandardCharsets.UTF_8);
    }

    String requiredText(String name) {
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            throw GridException.invalidArgument("parameter '" + name + "' is required and must not be empty");
        }
        return v;
    }

    /** {@code ttl} in milliseconds (bare numbers are seconds, as in the seed); 0 when absent. */
    long ttlMs() {
        String ttl = values.get("ttl");
        if (ttl == null || ttl.isEmpty()) {
            return 0;
        }
        long ms;
        try {
            ms = DurationText.parseMs(ttl, TimeUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw GridException.invalidArgument("ttl '" + ttl + "' " + e.getMessage());
        }
        Limits.checkTtl(ms);
        return ms;
    }
}
