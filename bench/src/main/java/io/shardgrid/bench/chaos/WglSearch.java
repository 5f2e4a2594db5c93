package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.KeyResult.Verdict;
import io.shardgrid.bench.chaos.Operation.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/*
 * Design notes. The Wing & Gong search with Lowe's memoisation, laid out as Porcupine's checkSingle.
 *
 * Every operation becomes a call entry and a return entry; the entries are sorted by time (a call
 * before a return at the same instant, so touching intervals count as concurrent) and threaded on a
 * doubly linked list. The calls before the first return on the list are the operations that may take
 * effect next: each started before every operation still unplaced has finished. The search tries
 * them in list order; placing one runs it on the model, lifts its two entries off the list and
 * restarts from the head. Reaching a return entry means that operation had to take effect by now and
 * did not: undo the last placement and try the entry after it. A configuration (set of placed
 * operations, register value) is memoised, so one reached again by another order is not searched twice.
 *
 * UNKNOWN operations return at +infinity: they may be placed anywhere after their call, and placing
 * one last of all is the same as it never having happened, since nothing after it observes the
 * register. The search therefore succeeds once every answered operation is placed.
 *
 * The calls that may go next are tried in two passes: answered operations first, then UNKNOWN ones,
 * which stay candidates for the rest of the history and seldom have to go early. Backing out of a
 * placement resumes the pass that made it. An UNKNOWN operation that would leave the register as it
 * is (setting the value it holds, a CAS that would not match) is not placed: any order that places it
 * there still works with it moved to the very end, where it answers nothing to nobody.
 *
 * One pruning beyond Porcupine: placing an operation that only observes (a read, a CAS answered "not
 * swapped", a delete answered "was absent": wherever such an answer fits, the register is left as it
 * was) is committed. If any order completes from a configuration in which such an operation may go
 * next, an order that places it first completes as well: it fits the current value, the operations
 * after it see the values they saw before, and moving it earlier breaks no real-time edge, because it
 * started before every unplaced operation finished. So when the search backs out of a committed
 * placement it backs out of its parent too. (A write that merely leaves the value unchanged here,
 * such as setting the value the register holds, is not committed: later it may change the value.)
 */
final class WglSearch {
    private static final int TIME_CHECK_MASK = 1023;
    private static final int SHOWN_PREFIX = 8;
    private static final int SHOWN_CANDIDATES = 6;

    private final String key;
    private final Operation[] ops;
    private final long originNs;
    private final int head;
    private final int[] entryOp;
    private final boolean[] isCall;
    private final int[] match;
    private final int[] next;
    private final int[] prev;
    private final List<String> states = new ArrayList<>();
    private final Map<String, Integer> stateIds = new HashMap<>();
    private final Set<Memo> memo = new HashSet<>();

    private int bestDepth = -1;
    private int[] bestPrefix;
    private int bestState;
    private int bestBlocked;
    private List<Integer> bestCandidates;

    /** {@code ops}: one key's operations, none with outcome FAIL; {@code originNs}: time zero in explanations. */
    WglSearch(String key, List<Operation> ops, long originNs) {
        this.key = key;
        this.ops = ops.toArray(Operation[]::new);
        this.originNs = originNs;
        int n = this.ops.length;
        Integer[] order = new Integer[2 * n];
        for (int e = 0; e < 2 * n; e++) {
            order[e] = e;
        }
        // entry e < n is the call of op e; entry n + i the return of op i
        Arrays.sort(order, (a, b) -> {
            int byTime = Long.compare(timeOf(a, n), timeOf(b, n));
            if (byTime != 0) {
                return byTime;
            }
            int callsFirst = Boolean.compare(a >= n, b >= n);
            return callsFirst != 0 ? callsFirst : Integer.compare(a, b);
        });
        head = 2 * n;
        entryOp = new int[2 * n];
        isCall = new boolean[2 * n];
        match = new int[2 * n];
        next = new int[2 * n + 1];
        prev = new int[2 * n + 1];
        int[] positionOfReturn = new int[n];
        for (int p = 0; p < 2 * n; p++) {
            int e = order[p];
            entryOp[p] = e < n ? e : e - n;
            isCall[p] = e < n;
            if (e >= n) {
                positionOfReturn[e - n] = p;
            }
        }
        for (int p = 0; p < 2 * n; p++) {
            if (isCall[p]) {
                match[p] = positionOfReturn[entryOp[p]];
            }
        }
        next[head] = n == 0 ? -1 : 0;
        for (int p = 0; p < 2 * n; p++) {
            prev[p] = p == 0 ? head : p - 1;
            next[p] = p + 1 < 2 * n ? p + 1 : -1;
        }
        intern(null);
    }

    private long timeOf(int entry, int n) {
        return entry < n ? ops[entry].invokeNs() : ops[entry - n].completeNs();
    }

    KeyResult run(long maxSteps, long maxNanos) {
        long startNs = System.nanoTime();
        long deadlineNs = startNs + maxNanos;
        int n = ops.length;
        long[] placed = new long[(n + 63) >>> 6];
        long placedHash = 0;
        int[] stackEntry = new int[n];
        int[] stackState = new int[n];
        boolean[] stackCommitted = new boolean[n];
        int depth = 0;
        int definiteLeft = 0;
        for (Operation op : ops) {
            if (op.outcome() == Outcome.OK) {
                definiteLeft++;
            }
        }
        int state = 0;
        int entry = next[head];
        boolean unknownPass = false;
        long steps = 0;
        while (definiteLeft > 0) {
            steps++;
            if (steps > maxSteps || ((steps & TIME_CHECK_MASK) == 0 && System.nanoTime() - deadlineNs > 0)) {
                return timeout(steps, System.nanoTime() - startNs, maxSteps, maxNanos);
            }
            if (entry < 0) {
                throw new IllegalStateException("key " + key + ": ran off the entry list with " + definiteLeft
                    + " answered operations unplaced");
            }
            if (isCall[entry]) {
                int i = entryOp[entry];
                Operation op = ops[i];
                String value = states.get(state);
                if ((op.outcome() == Outcome.UNKNOWN) == unknownPass && RegisterModel.allows(value, op)) {
                    int after = intern(RegisterModel.apply(value, op));
                    if (unknownPass && after == state) {
                        // an UNKNOWN op that changes nothing here can as well go last; never place it now
                        entry = next[entry];
                        continue;
                    }
                    placed[i >>> 6] |= 1L << i;
                    placedHash ^= mix(i);
                    if (memo.add(new Memo(placed.clone(), after, placedHash))) {
                        stackEntry[depth] = entry;
                        stackState[depth] = state;
                        stackCommitted[depth] = RegisterModel.onlyObserves(op);
                        depth++;
                        state = after;
                        lift(entry);
                        if (op.outcome() == Outcome.OK) {
                            definiteLeft--;
                        }
                        entry = next[head];
                        unknownPass = false;
                        continue;
                    }
                    placed[i >>> 6] &= ~(1L << i);
                    placedHash ^= mix(i);
                }
                entry = next[entry];
            } else if (!unknownPass) {
                unknownPass = true;
                entry = next[head];
            } else {
                if (depth > bestDepth) {
                    noteDeadEnd(depth, stackEntry, state, entry);
                }
                int undone;
                boolean committed;
                do {
                    if (depth == 0) {
                        return violation(steps, System.nanoTime() - startNs);
                    }
                    depth--;
                    undone = stackEntry[depth];
                    state = stackState[depth];
                    committed = stackCommitted[depth];
                    int i = entryOp[undone];
                    placed[i >>> 6] &= ~(1L << i);
                    placedHash ^= mix(i);
                    unlift(undone);
                    if (ops[i].outcome() == Outcome.OK) {
                        definiteLeft++;
                    }
                } while (committed);
                entry = next[undone];
                unknownPass = ops[entryOp[undone]].outcome() == Outcome.UNKNOWN;
            }
        }
        return new KeyResult(key, Verdict.LINEARIZABLE, n, steps, System.nanoTime() - startNs, List.of(), null, "");
    }

    private void lift(int entry) {
        next[prev[entry]] = next[entry];
        if (next[entry] >= 0) {
            prev[next[entry]] = prev[entry];
        }
        int m = match[entry];
        next[prev[m]] = next[m];
        if (next[m] >= 0) {
            prev[next[m]] = prev[m];
        }
    }

    private void unlift(int entry) {
        int m = match[entry];
        next[prev[m]] = m;
        if (next[m] >= 0) {
            prev[next[m]] = m;
        }
        next[prev[entry]] = entry;
        if (next[entry] >= 0) {
            prev[next[entry]] = entry;
        }
    }

    private int intern(String value) {
        Integer id = stateIds.get(value);
        if (id == null) {
            id = states.size();
            states.add(value);
            stateIds.put(value, id);
        }
        return id;
    }

    private static long mix(int i) {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void noteDeadEnd(int depth, int[] stackEntry, int state, int returnEntry) {
        bestDepth = depth;
        bestPrefix = new int[depth];
        for (int d = 0; d < depth; d++) {
            bestPrefix[d] = entryOp[stackEntry[d]];
        }
        bestState = state;
        bestBlocked = entryOp[returnEntry];
        bestCandidates = new ArrayList<>();
        for (int e = next[head]; e >= 0 && e != returnEntry; e = next[e]) {
            if (isCall[e]) {
                bestCandidates.add(entryOp[e]);
            }
        }
    }

    private KeyResult violation(long steps, long elapsedNs) {
        List<Operation> prefix = new ArrayList<>(bestPrefix.length);
        for (int i : bestPrefix) {
            prefix.add(ops[i]);
        }
        Operation blocked = ops[bestBlocked];
        StringBuilder b = new StringBuilder();
        b.append("key ").append(key).append(": not linearizable. The longest linearizable prefix places ")
            .append(prefix.size()).append(" of ").append(ops.length).append(" operations");
        int from = Math.max(0, prefix.size() - SHOWN_PREFIX);
        b.append(from > 0 ? "; its last " + (prefix.size() - from) + ", with the register after each:\n" : ":\n");
        String value = null;
        for (int d = 0; d < prefix.size(); d++) {
            value = RegisterModel.apply(value, prefix.get(d));
            if (d >= from) {
                b.append("    ").append(line(prefix.get(d))).append("  -> ").append(Operation.quote(value)).append('\n');
            }
        }
        b.append("  then ").append(line(blocked)).append(" had to take effect before it returned, but ");
        String why = RegisterModel.whyNot(states.get(bestState), blocked);
        b.append(why != null ? why : "every order that places it there fails later").append('\n');
        int shown = 0;
        for (int i : bestCandidates) {
            if (i == bestBlocked) {
                continue;
            }
            if (shown == 0) {
                b.append("  other operations that could have gone next:\n");
            }
            if (shown++ == SHOWN_CANDIDATES) {
                b.append("    ... and ").append(bestCandidates.size() - SHOWN_CANDIDATES - 1).append(" more\n");
                break;
            }
            String reason = RegisterModel.whyNot(states.get(bestState), ops[i]);
            b.append("    ").append(line(ops[i])).append(reason == null ? "" : ": " + reason).append('\n');
        }
        return new KeyResult(key, Verdict.VIOLATION, ops.length, steps, elapsedNs, prefix, blocked, b.toString());
    }

    private KeyResult timeout(long steps, long elapsedNs, long maxSteps, long maxNanos) {
        String why = String.format(Locale.ROOT, "key %s: undecided after %,d steps in %.3f s (budget %,d steps, %.3f s) "
                + "over %d operations; the deepest order placed %d", key, steps, elapsedNs / 1e9, maxSteps,
            maxNanos / 1e9, ops.length, Math.max(bestDepth, 0));
        return new KeyResult(key, Verdict.TIMEOUT, ops.length, steps, elapsedNs, List.of(), null, why);
    }

    private String line(Operation op) {
        String end = op.completeNs() == Operation.NEVER ? "never" : millis(op.completeNs());
        return op.describe() + "  [" + millis(op.invokeNs()) + " .. " + end + "]";
    }

    private String millis(long ns) {
        return String.format(Locale.ROOT, "%.3f ms", (ns - originNs) / 1e6);
    }

    /** A configuration already searched: which operations are placed and the register value. */
    private static final class Memo {
        private final long[] placed;
        private final int state;
        private final int hash;

        Memo(long[] placed, int state, long placedHash) {
            this.placed = placed;
            this.state = state;
            long h = placedHash ^ (state * 0xC2B2AE3D27D4EB4FL);
            this.hash = (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Memo m && m.hash == hash && m.state == state && Arrays.equals(m.placed, placed);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
