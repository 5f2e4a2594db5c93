package io.shardgrid.bench.chaos;

import java.util.Objects;

/**
 * One client operation on one key as the client saw it: what it asked, when it asked
 * ({@code invokeNs}), when it heard back ({@code completeNs}) and what it heard.
 *
 * <p>Values are strings; a {@code null} value means the key is absent. Which fields matter depends
 * on the kind:
 *
 * <pre>
 *   kind       input                                   output (outcome OK only)
 *   GET        -                                       read     (null = absent)
 *   SET        value                                   -
 *   DELETE     -                                       applied  (removed a live key; null = not reported)
 *   CAS        value (new), expected (null = absent)   applied  (swapped)
 *   INCREMENT  delta                                   result   (the value after adding)
 * </pre>
 *
 * <p>Outcomes: {@link Outcome#OK} answered (a CAS that did not swap is OK with {@code applied}
 * false); {@link Outcome#FAIL} an error known to have applied nothing; {@link Outcome#UNKNOWN} timed
 * out or answered OUTCOME_UNKNOWN: it may have taken effect at any time after {@code invokeNs}, or
 * never, and its {@code completeNs} is {@link #NEVER}.
 *
 * @param id        unique within a {@link History}; names the operation in explanations
 * @param process   the client (or thread) that issued it
 * @param invokeNs  a monotonic clock ({@link System#nanoTime()}) shared by every client of the history
 */
public record Operation(long id, int process, String key, Kind kind, String value, String expected, long delta,
                        long invokeNs, long completeNs, Outcome outcome, String read, Boolean applied, long result) {
    /** The completion time of an operation that may still take effect. */
    public static final long NEVER = Long.MAX_VALUE;

    public enum Kind { GET, SET, DELETE, CAS, INCREMENT }

    public enum Outcome { OK, FAIL, UNKNOWN }

    public Operation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        if ((kind == Kind.SET || kind == Kind.CAS) && value == null) {
            throw new IllegalArgumentException("op " + id + ": " + kind + " needs a value to write");
        }
        if (outcome == Outcome.UNKNOWN) {
            if (completeNs != NEVER) {
                throw new IllegalArgumentException("op " + id + ": an UNKNOWN outcome completes NEVER, not at "
                    + completeNs);
            }
        } else if (completeNs < invokeNs) {
            throw new IllegalArgumentException("op " + id + ": completes at " + completeNs + " before its invocation at "
                + invokeNs);
        }
        if (outcome == Outcome.OK && kind == Kind.CAS && applied == null) {
            throw new IllegalArgumentException("op " + id + ": an answered CAS must say whether it swapped");
        }
    }

    public static Operation get(long id, int process, String key, long invokeNs, long completeNs, String read) {
        return new Operation(id, process, key, Kind.GET, null, null, 0, invokeNs, completeNs, Outcome.OK, read, null, 0);
    }

    public static Operation set(long id, int process, String key, String value, long invokeNs, long completeNs) {
        return new Operation(id, process, key, Kind.SET, value, null, 0, invokeNs, completeNs, Outcome.OK, null, null, 0);
    }

    /** An answered delete; {@code removed} null when the client did not report whether a live key was removed. */
    public static Operation delete(long id, int process, String key, long invokeNs, long completeNs, Boolean removed) {
        return new Operation(id, process, key, Kind.DELETE, null, null, 0, invokeNs, completeNs, Outcome.OK, null,
            removed, 0);
    }

    /** An answered compare-and-set; {@code expected} null means "only if absent". */
    public static Operation cas(long id, int process, String key, String expected, String value, long invokeNs,
                                long completeNs, boolean swapped) {
        return new Operation(id, process, key, Kind.CAS, value, expected, 0, invokeNs, completeNs, Outcome.OK, null,
            swapped, 0);
    }

    public static Operation increment(long id, int process, String key, long delta, long invokeNs, long completeNs,
                                      long result) {
        return new Operation(id, process, key, Kind.INCREMENT, null, null, delta, invokeNs, completeNs, Outcome.OK,
            null, null, result);
    }

    /** This operation with its answer thrown away: it timed out and may or may not have taken effect. */
    public Operation asUnknown() {
        return new Operation(id, process, key, kind, value, expected, delta, invokeNs, NEVER, Outcome.UNKNOWN, null,
            null, 0);
    }

    /** This operation as failed with an error known to have applied nothing. */
    public Operation asFailed() {
        return new Operation(id, process, key, kind, value, expected, delta, invokeNs, completeNs, Outcome.FAIL, null,
            null, 0);
    }

    /** This operation answered with another value read (GET only); for mutating histories in tests. */
    public Operation withRead(String newRead) {
        if (kind != Kind.GET) {
            throw new IllegalStateException("op " + id + " is a " + kind + ", not a GET");
        }
        return new Operation(id, process, key, kind, value, expected, delta, invokeNs, completeNs, outcome, newRead,
            applied, result);
    }

    /** The call and its answer, e.g. {@code cas(k, "a" -> "b") = swapped}; times are left to the caller. */
    public String describe() {
        StringBuilder b = new StringBuilder("#").append(id).append(" p").append(process).append(' ');
        switch (kind) {
            case GET -> b.append("get(").append(key).append(')');
            case SET -> b.append("set(").append(key).append(", ").append(quote(value)).append(')');
            case DELETE -> b.append("delete(").append(key).append(')');
            case CAS -> b.append("cas(").append(key).append(", ").append(quote(expected)).append(" -> ")
                .append(quote(value)).append(')');
            case INCREMENT -> b.append("increment(").append(key).append(", ").append(delta).append(')');
            default -> throw new IllegalStateException(kind.toString());
        }
        switch (outcome) {
            case FAIL -> b.append(" failed");
            case UNKNOWN -> b.append(" unknown");
            case OK -> {
                switch (kind) {
                    case GET -> b.append(" = ").append(quote(read));
                    case DELETE -> b.append(applied == null ? " ok" : applied ? " = removed" : " = was absent");
                    case CAS -> b.append(applied ? " = swapped" : " = not swapped");
                    case INCREMENT -> b.append(" = ").append(result);
                    default -> b.append(" ok");
                }
            }
            default -> throw new IllegalStateException(outcome.toString());
        }
        return b.toString();
    }

    /** A register value for humans: quoted, or {@code absent}. */
    static String quote(String v) {
        return v == null ? "absent" : '"' + v + '"';
    }
}
