package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Operation.Kind;
import io.shardgrid.bench.chaos.Operation.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a {@link History} is linearizable, key by key: each key is a register with get,
 * set, delete, compare-and-set and increment ({@link RegisterModel}), and since operations on
 * different keys commute, the history is linearizable exactly when every key's is (Herlihy & Wing's
 * locality). Each key is searched by Wing & Gong's algorithm with Lowe's memoisation, as Knossos and
 * Porcupine do ({@code WglSearch}).
 *
 * <p>FAIL operations applied nothing and are left out; so are GETs with outcome UNKNOWN, which
 * neither changed nor observed anything. A write with outcome UNKNOWN may take effect at any time
 * after its call, or never.
 *
 * <p>The search is exponential in the worst case (many concurrent writes, many UNKNOWN ones), so each
 * key has a step and a time budget; a key that exhausts either is reported TIMEOUT, not decided.
 * Keys are checked one after another on the calling thread.
 */
public final class LinearizabilityChecker {
    public static final long DEFAULT_MAX_STEPS_PER_KEY = 5_000_000;
    public static final Duration DEFAULT_MAX_TIME_PER_KEY = Duration.ofSeconds(10);

    private final long maxStepsPerKey;
    private final long maxNanosPerKey;

    public LinearizabilityChecker() {
        this(DEFAULT_MAX_STEPS_PER_KEY, DEFAULT_MAX_TIME_PER_KEY);
    }

    public LinearizabilityChecker(long maxStepsPerKey, Duration maxTimePerKey) {
        if (maxStepsPerKey < 1) {
            throw new IllegalArgumentException("max steps per key " + maxStepsPerKey + " must be at least 1");
        }
        if (maxTimePerKey.isNegative() || maxTimePerKey.isZero()) {
            throw new IllegalArgumentException("max time per key " + maxTimePerKey + " must be positive");
        }
        this.maxStepsPerKey = maxStepsPerKey;
        this.maxNanosPerKey = maxTimePerKey.toNanos();
    }

    public CheckReport check(History history) {
        return check(history.operations());
    }

    /** Checks operations on any number of keys; ids must be unique. */
    public CheckReport check(Collection<Operation> operations) {
        long startNs = System.nanoTime();
        List<Operation> ops = new ArrayList<>(operations);
        Set<Long> ids = new HashSet<>();
        long ok = 0;
        long fail = 0;
        long unknown = 0;
        long originNs = Long.MAX_VALUE;
        for (Operation op : ops) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("operation id " + op.id() + " appears twice");
            }
            switch (op.outcome()) {
                case OK -> ok++;
                case FAIL -> fail++;
                case UNKNOWN -> unknown++;
                default -> throw new IllegalStateException(op.outcome().toString());
            }
            originNs = Math.min(originNs, op.invokeNs());
        }
        List<KeyResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> key : History.partitionByKey(ops).entrySet()) {
            results.add(checkKey(key.getKey(), key.getValue(), originNs));
        }
        return new CheckReport(ops.size(), ok, fail, unknown, results, System.nanoTime() - startNs);
    }

    private KeyResult checkKey(String key, List<Operation> ops, long originNs) {
        List<Operation> searched = new ArrayList<>(ops.size());
        for (Operation op : ops) {
            boolean appliedNothing = op.outcome() == Outcome.FAIL;
            boolean effectless = op.outcome() == Outcome.UNKNOWN && op.kind() == Kind.GET;
            if (!appliedNothing && !effectless) {
                searched.add(op);
            }
        }
        return new WglSearch(key, searched, originNs).run(maxStepsPerKey, maxNanosPerKey);
    }
}
