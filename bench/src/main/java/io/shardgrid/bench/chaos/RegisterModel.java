package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Operation.Outcome;
import java.util.Objects;

/**
 * One key of the grid as a sequential register: the value it holds ({@code null} = absent) and what
 * each operation does to it, as {@code OffHeapPartitionStore} does it. Every step is deterministic,
 * so a search state is one value.
 *
 * <p>An operation with outcome {@link Outcome#UNKNOWN} fits any state: it answered nothing. It then
 * does what the store would have done (a CAS swaps only if the value matches; an increment of a
 * non-number or one that overflows fails with WRONG_TYPE and changes nothing).
 */
final class RegisterModel {
    private RegisterModel() {
    }

    /** Whether {@code op} could have answered what it did if it ran alone on a register holding {@code state}. */
    static boolean allows(String state, Operation op) {
        if (op.outcome() != Outcome.OK) {
            return true;
        }
        return switch (op.kind()) {
            case GET -> Objects.equals(state, op.read());
            case SET -> true;
            case DELETE -> op.applied() == null || op.applied() == (state != null);
            case CAS -> op.applied() == matches(state, op);
            case INCREMENT -> {
                Long after = incremented(state, op.delta());
                yield after != null && after == op.result();
            }
        };
    }

    /** The register after {@code op} ran on {@code state}; call only when {@link #allows} holds. */
    static String apply(String state, Operation op) {
        return switch (op.kind()) {
            case GET -> state;
            case SET -> op.value();
            case DELETE -> null;
            case CAS -> matches(state, op) ? op.value() : state;
            case INCREMENT -> {
                Long after = incremented(state, op.delta());
                yield after == null ? state : Long.toString(after);
            }
        };
    }

    /** Null if {@link #allows} holds, else why not, for an explanation (slower: builds the message). */
    static String whyNot(String state, Operation op) {
        if (op.outcome() != Outcome.OK) {
            return null;
        }
        return switch (op.kind()) {
            case GET -> Objects.equals(state, op.read()) ? null
                : "it read " + Operation.quote(op.read()) + " but the register held " + Operation.quote(state);
            case SET -> null;
            case DELETE -> op.applied() == null || op.applied() == (state != null) ? null
                : "it said the key was " + (op.applied() ? "present" : "absent") + " but the register held "
                    + Operation.quote(state);
            case CAS -> op.applied() == matches(state, op) ? null
                : "it " + (op.applied() ? "swapped" : "did not swap") + " but the register held " + Operation.quote(state);
            case INCREMENT -> {
                Long after = incremented(state, op.delta());
                if (after == null) {
                    yield "it answered " + op.result() + " but the register held " + Operation.quote(state)
                        + ", which an increment by " + op.delta() + " rejects";
                }
                yield after == op.result() ? null
                    : "it answered " + op.result() + " but the register held " + Operation.quote(state)
                        + ", so " + after;
            }
        };
    }

    /**
     * Whether every state {@code op}'s answer fits is left unchanged by it: an answered read, a CAS
     * answered "not swapped", a delete answered "was absent".
     */
    static boolean onlyObserves(Operation op) {
        if (op.outcome() != Outcome.OK) {
            return false;
        }
        return switch (op.kind()) {
            case GET -> true;
            case CAS, DELETE -> Boolean.FALSE.equals(op.applied());
            case SET, INCREMENT -> false;
        };
    }

    private static boolean matches(String state, Operation cas) {
        return cas.expected() == null ? state == null : cas.expected().equals(state);
    }

    /** The register after adding {@code delta} (absent counts as 0), or null if the store would refuse. */
    static Long incremented(String state, long delta) {
        long current = 0;
        if (state != null) {
            if (!isCanonicalDecimal(state)) {
                return null;
            }
            try {
                current = Long.parseLong(state);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        long after = current + delta;
        if (((current ^ after) & (delta ^ after)) < 0) {
            return null;
        }
        return after;
    }

    /** {@code 0} or an optional minus and no leading zero, as the store's {@code DecimalCodec} parses. */
    private static boolean isCanonicalDecimal(String s) {
        int i = s.startsWith("-") ? 1 : 0;
        if (s.length() == i || s.length() > 20) {
            return false;
        }
        if (s.charAt(i) == '0') {
            return s.length() == 1;
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
