package io.shardgrid.bench.chaos;

import java.util.List;
import java.util.Objects;

/**
 * What the checker found for one key.
 *
 * @param operations  how many operations the search placed (FAIL and unanswered GETs are left out)
 * @param steps       search steps taken, a measure of how hard the key was
 * @param linearized  for a VIOLATION, the longest linearizable prefix found, in order; else empty
 * @param blocked     for a VIOLATION, the operation that could not be placed after that prefix; else null
 * @param explanation for a VIOLATION or TIMEOUT, a readable account; else empty
 */
public record KeyResult(String key, Verdict verdict, int operations, long steps, long elapsedNs,
                        List<Operation> linearized, Operation blocked, String explanation) {
    public enum Verdict {
        LINEARIZABLE,
        VIOLATION,
        /** The search ran out of its step or time budget: too complex to decide, not a verdict on the system. */
        TIMEOUT
    }

    public KeyResult {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(verdict, "verdict");
        linearized = List.copyOf(linearized);
        Objects.requireNonNull(explanation, "explanation");
    }
}
