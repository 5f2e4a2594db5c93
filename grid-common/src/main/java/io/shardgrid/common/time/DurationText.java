package io.shardgrid.common.time;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Parses the durations people type ("30", "30s", "500ms", "5m", "2h"; a bare number is in
 * {@code bareUnit}), for the HTTP API's {@code ttl} and the CLI's {@code --ttl} alike.
 */
public final class DurationText {
    private DurationText() {
    }

    public static long parseMs(String text, TimeUnit bareUnit) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long multiplierMs;
        String digits;
        if (t.endsWith("ms")) {
            multiplierMs = 1;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            multiplierMs = 1000;
            digits = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            multiplierMs = 60_000;
            digits = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            multiplierMs = 3_600_000;
            digits = t.substring(0, t.length() - 1);
        } else {
            multiplierMs = bareUnit.toMillis(1);
            digits = t;
        }
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a duration like 30, 30s, 500ms, 5m or 2h");
        }
        if (n < 0) {
            throw new IllegalArgumentException("must not be negative");
        }
        try {
            return Math.multiplyExact(n, multiplierMs);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("is too long to count in milliseconds");
        }
    }
}
