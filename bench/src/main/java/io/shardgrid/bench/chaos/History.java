package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Operation.Kind;
import io.shardgrid.bench.chaos.Operation.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The operations clients issued during a run, collected from any number of threads: {@code invoke*}
 * stamps the call and hands back a {@link Pending}; the client completes it exactly once with what it
 * heard. An operation still pending when the history is read counts as {@link Outcome#UNKNOWN}.
 *
 * <pre>{@code
 * History.Pending p = history.invokeCas(client, key, "3", "4");
 * client.compareAndSet(key, "3", "4").whenComplete((swapped, e) -> {
 *     if (e == null) p.okSwapped(swapped);
 *     else if (outcomeUnknownOrTimeout(e)) p.unknown();
 *     else p.fail();
 * });
 * }</pre>
 */
public final class History {
    private final LongSupplier clockNs;
    private final AtomicLong nextId = new AtomicLong();
    private final ConcurrentLinkedQueue<Operation> completed = new ConcurrentLinkedQueue<>();
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();

    /** Stamps calls and answers with {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** Stamps calls and answers with {@code clockNs}, which must be monotonic and shared by every client. */
    public History(LongSupplier clockNs) {
        this.clockNs = Objects.requireNonNull(clockNs, "clockNs");
    }

    public Pending invokeGet(int process, String key) {
        return invoke(process, key, Kind.GET, null, null, 0);
    }

    public Pending invokeSet(int process, String key, String value) {
        return invoke(process, key, Kind.SET, Objects.requireNonNull(value, "value"), null, 0);
    }

    public Pending invokeDelete(int process, String key) {
        return invoke(process, key, Kind.DELETE, null, null, 0);
    }

    /** A compare-and-set of {@code key} from {@code expected} ({@code null}: only if absent) to {@code value}. */
    public Pending invokeCas(int process, String key, String expected, String value) {
        return invoke(process, key, Kind.CAS, Objects.requireNonNull(value, "value"), expected, 0);
    }

    public Pending invokeIncrement(int process, String key, long delta) {
        return invoke(process, key, Kind.INCREMENT, null, null, delta);
    }

    /** Adds a finished operation as it is, e.g. one replayed from a log or made by hand in a test. */
    public void add(Operation op) {
        completed.add(Objects.requireNonNull(op, "op"));
    }

    /** Every operation so far by invocation time, those still pending as {@link Outcome#UNKNOWN}. */
    public List<Operation> operations() {
        // Pending first: an op recorded after this scan is then found in completed, which wins below.
        List<Operation> stillPending = new ArrayList<>();
        for (Pending p : pending) {
            if (!p.recorded) {
                stillPending.add(p.asked.asUnknown());
            }
        }
        Map<Long, Operation> byId = new LinkedHashMap<>();
        for (Operation op : completed) {
            byId.putIfAbsent(op.id(), op);
        }
        for (Operation op : stillPending) {
            byId.putIfAbsent(op.id(), op);
        }
        List<Operation> ops = new ArrayList<>(byId.values());
        ops.sort(Comparator.comparingLong(Operation::invokeNs).thenComparingLong(Operation::id));
        return ops;
    }

    /** {@link #operations()} split by key, keys in order of their first invocation. */
    public Map<String, List<Operation>> byKey() {
        return partitionByKey(operations());
    }

    static Map<String, List<Operation>> partitionByKey(List<Operation> ops) {
        Map<String, List<Operation>> byKey = new LinkedHashMap<>();
        for (Operation op : ops) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        return byKey;
    }

    private Pending invoke(int process, String key, Kind kind, String value, String expected, long delta) {
        Objects.requireNonNull(key, "key");
        long id = nextId.getAndIncrement();
        long now = clockNs.getAsLong();
        Pending p = new Pending(new Operation(id, process, key, kind, value, expected, delta, now, Operation.NEVER,
            Outcome.UNKNOWN, null, null, 0));
        pending.add(p);
        return p;
    }

    /** An invoked operation waiting for its answer; complete it once, from any thread. */
    public final class Pending {
        private final Operation asked;
        private final AtomicBoolean done = new AtomicBoolean();
        /** Set once the answer is in {@code completed}. */
        private volatile boolean recorded;

        private Pending(Operation asked) {
            this.asked = asked;
        }

        public long id() {
            return asked.id();
        }

        /** A GET answered; {@code value} null when the key was absent. */
        public void okRead(String value) {
            finish(Kind.GET, Outcome.OK, value, null, 0);
        }

        /** A SET or DELETE answered without saying more. */
        public void ok() {
            if (asked.kind() != Kind.SET && asked.kind() != Kind.DELETE) {
                throw new IllegalStateException("op " + asked.id() + " is a " + asked.kind()
                    + ": complete it with the answer it got");
            }
            finish(asked.kind(), Outcome.OK, null, null, 0);
        }

        /** A DELETE answered with whether it removed a live key. */
        public void okDeleted(boolean removed) {
            finish(Kind.DELETE, Outcome.OK, null, removed, 0);
        }

        public void okSwapped(boolean swapped) {
            finish(Kind.CAS, Outcome.OK, null, swapped, 0);
        }

        /** An INCREMENT answered with the value after adding. */
        public void okIncremented(long result) {
            finish(Kind.INCREMENT, Outcome.OK, null, null, result);
        }

        /** Failed with an error known to have applied nothing (e.g. NOT_LEADER, WRONG_TYPE, INVALID_ARGUMENT). */
        public void fail() {
            finish(asked.kind(), Outcome.FAIL, null, null, 0);
        }

        /** Timed out or answered OUTCOME_UNKNOWN: it may have taken effect, now or later, or never. */
        public void unknown() {
            finish(asked.kind(), Outcome.UNKNOWN, null, null, 0);
        }

        private void finish(Kind kind, Outcome outcome, String read, Boolean applied, long result) {
            long now = clockNs.getAsLong();
            if (kind != asked.kind()) {
                throw new IllegalStateException("op " + asked.id() + " is a " + asked.kind() + ", not a " + kind);
            }
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("op " + asked.id() + " completed twice");
            }
            Operation a = asked;
            completed.add(new Operation(a.id(), a.process(), a.key(), a.kind(), a.value(), a.expected(), a.delta(),
                a.invokeNs(), outcome == Outcome.UNKNOWN ? Operation.NEVER : Math.max(now, a.invokeNs()), outcome,
                read, applied, result));
            recorded = true;
            pending.remove(this);
        }
    }
}
