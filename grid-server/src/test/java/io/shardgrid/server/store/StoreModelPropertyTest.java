package io.shardgrid.server.store;

import static io.shardgrid.server.core.ports.PartitionStore.CONDITION_FAILED;
import static io.shardgrid.server.core.ports.PartitionStore.FULL;
import static io.shardgrid.server.core.ports.PartitionStore.OK;
import static io.shardgrid.server.core.ports.PartitionStore.WRONG_TYPE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random operation sequences against a {@link HashMap} model with expiry, compared after every step: a
 * QuickTheories property of 300 examples, each a sequence of 1–120 ops, half of them under a budget small
 * enough that writes get {@code FULL}. The run fails unless some example saw a write refused as {@code FULL}
 * and some example incremented a non-integer. Shrinking stops after 1,000 attempts: QuickTheories keeps every
 * falsifying sequence it shrinks through, and its default (100 per example) ran out of heap here.
 *
 * <p>A failing example prints the shrunk op sequence (long values abbreviated) and {@code Seed was N}. To
 * replay it, run the test with that seed, {@code mvn -B -pl grid-server -am test -Dtest=StoreModelPropertyTest
 * -Dsurefire.failIfNoSpecifiedTests=false -DQT_SEED=N}, or put {@code .withFixedSeed(N)} after {@code qt()}
 * while debugging; then keep the shrunk sequence as an example {@code @Test} calling {@link #run} (a seed means
 * something else once a generator changes).
 */
class StoreModelPropertyTest {
    private static final int KEY_COUNT = 16;
    private static final String[] KEYS = new String[KEY_COUNT];

    static {
        for (int i = 0; i < KEY_COUNT; i++) {
            KEYS[i] = "key-" + i + "-" + "k".repeat((i % 4) * 9);
        }
    }

    enum Kind { SET, GET, DELETE, CAS, INCREMENT, ADVANCE_TIME, SWEEP, SNAPSHOT, CLEAR, EVICT }

    record Op(Kind kind, int key, String value, long ttlMs, long amount, boolean flag) {
        @Override
        public String toString() {
            String shown = value.length() <= 40 ? '"' + value + '"'
                : '"' + value.substring(0, 12) + "…\" (" + value.length() + " chars)";
            return kind + "(key=" + key + ", value=" + shown + ", ttlMs=" + ttlMs + ", amount=" + amount
                + ", flag=" + flag + ")";
        }
    }

    /** What one run saw, for the coverage check over all examples. */
    record Outcome(boolean sawFull, boolean sawWrongType) {
    }

    record Entry(String value, long expireAtMs) {
        boolean liveAt(long nowMs) {
            return expireAtMs == 0 || expireAtMs > nowMs;
        }
    }

    @Test
    void storeBehavesLikeAMapWithExpiry() {
        final int[] runsWithFull = new int[1];
        final int[] runsWithWrongType = new int[1];
        qt().withExamples(300).withShrinkCycles(1_000).forAll(operations(), booleans().all()).checkAssert((ops, smallBudget) -> {
            final Outcome outcome = run(ops, smallBudget);
            runsWithFull[0] += outcome.sawFull() ? 1 : 0;
            runsWithWrongType[0] += outcome.sawWrongType() ? 1 : 0;
        });
        assertThat(runsWithFull[0]).as("examples where a write got FULL").isPositive();
        assertThat(runsWithWrongType[0]).as("examples with an increment of a non-integer").isPositive();
    }

    /** Applies {@code ops} to a fresh store and to the model, comparing them after every op. */
    static Outcome run(List<Op> ops, boolean smallBudget) {
        try {
            return runChecked(ops, smallBudget);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Outcome runChecked(List<Op> ops, boolean smallBudget) throws IOException {
        final MemoryBudget budget = new MemoryBudget(smallBudget ? 150_000 : 64L << 20);
        final Map<String, Entry> model = new HashMap<>();
        final ExpandableArrayBuffer dst = new ExpandableArrayBuffer(64);
        OffHeapPartitionStore store = new OffHeapPartitionStore(3, budget);
        long nowMs = 1_000;
        int fullOutcomes = 0;
        boolean sawWrongType = false;
        try {
            for (Op op : ops) {
                final String key = KEYS[op.key()];
                final UnsafeBuffer k = buffer(key);
                final UnsafeBuffer v = buffer(op.value());
                final Entry current = model.get(key);
                final boolean live = current != null && current.liveAt(nowMs);
                final long expireAtMs = op.ttlMs() == 0 ? 0 : nowMs + op.ttlMs();
                switch (op.kind()) {
                    case SET -> {
                        final int outcome = store.set(k, 0, k.capacity(), v, 0, v.capacity(), expireAtMs, nowMs);
                        assertThat(outcome).isIn(OK, FULL);
                        fullOutcomes += outcome == FULL ? 1 : 0;
                        if (outcome == OK) {
                            model.put(key, new Entry(op.value(), expireAtMs));
                        }
                    }
                    case GET -> {
                        final int length = store.get(k, 0, k.capacity(), nowMs, dst, 0);
                        assertThat(length < 0 ? null : dst.getStringWithoutLengthUtf8(0, length))
                            .isEqualTo(live ? current.value() : null);
                    }
                    case DELETE -> {
                        assertThat(store.delete(k, 0, k.capacity(), nowMs)).isEqualTo(live);
                        model.remove(key);
                    }
                    case CAS -> {
                        final String expected = op.flag() && live ? current.value() : op.value();
                        final UnsafeBuffer e = buffer(expected);
                        final boolean expectAbsent = op.amount() % 3 == 0;
                        final boolean holds = expectAbsent ? !live : live && current.value().equals(expected);
                        final int outcome = store.compareAndSet(k, 0, k.capacity(), expectAbsent, e, 0, e.capacity(),
                            v, 0, v.capacity(), expireAtMs, nowMs);
                        if (!holds) {
                            assertThat(outcome).isEqualTo(CONDITION_FAILED);
                        } else {
                            assertThat(outcome).isIn(OK, FULL);
                            if (outcome == OK) {
                                model.put(key, new Entry(op.value(), expireAtMs));
                            }
                        }
                    }
                    case INCREMENT -> {
                        final Long base = live ? redisInteger(current.value()) : Long.valueOf(0);
                        final int outcome = store.increment(k, 0, k.capacity(), op.amount(), expireAtMs, nowMs);
                        final Long result = base == null ? null : addOrNull(base, op.amount());
                        if (result == null) {
                            assertThat(outcome).isEqualTo(WRONG_TYPE);
                        } else {
                            assertThat(outcome).isIn(OK, FULL);
                            if (outcome == OK) {
                                assertThat(store.lastIncrementResult()).isEqualTo(result);
                                model.put(key, new Entry(Long.toString(result), live ? current.expireAtMs() : expireAtMs));
                            }
                        }
                    }
                    case ADVANCE_TIME -> nowMs += op.ttlMs();
                    case SWEEP -> assertThat(store.sweepExpired(nowMs, (int) Math.abs(op.amount() % 20)))
                        .isBetween(0, 20);
                    case SNAPSHOT -> {
                        final ByteArrayOutputStream out = new ByteArrayOutputStream();
                        new StoreSnapshotWriter().write(store, nowMs, out);
                        store.close();
                        store = new OffHeapPartitionStore(3, budget);
                        new StoreSnapshotReader().read(new ByteArrayInputStream(out.toByteArray()), store);
                    }
                    case CLEAR -> {
                        store.clear();
                        model.clear();
                    }
                    case EVICT -> {
                        store.evict(k, 0, k.capacity());
                        model.remove(key);
                    }
                    default -> throw new IllegalStateException("unknown op " + op);
                }
                sawWrongType |= op.kind() == Kind.INCREMENT && live && redisInteger(current.value()) == null;
                assertMatches(store, model, nowMs, dst, op);
                assertThat(budget.usedBytes()).isEqualTo(store.stats().allocatedBytes());
            }
        } finally {
            store.close();
        }
        assertThat(budget.usedBytes()).isZero();
        return new Outcome(fullOutcomes > 0, sawWrongType);
    }

    private static void assertMatches(OffHeapPartitionStore store, Map<String, Entry> model, long nowMs,
                                      ExpandableArrayBuffer dst, Op after) {
        long liveInModel = 0;
        for (String key : KEYS) {
            final Entry entry = model.get(key);
            final boolean live = entry != null && entry.liveAt(nowMs);
            final UnsafeBuffer k = buffer(key);
            final int length = store.get(k, 0, k.capacity(), nowMs, dst, 0);
            assertThat(length < 0 ? null : dst.getStringWithoutLengthUtf8(0, length))
                .as("value of %s after %s", key, after).isEqualTo(live ? entry.value() : null);
            assertThat(store.expireAtMs(k, 0, k.capacity(), nowMs))
                .as("deadline of %s after %s", key, after).isEqualTo(live ? entry.expireAtMs() : -1);
            liveInModel += live ? 1 : 0;
        }
        final long[] liveInStore = new long[1];
        store.forEachEntry(nowMs, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) ->
            liveInStore[0]++);
        assertThat(liveInStore[0]).as("live keys after %s", after).isEqualTo(liveInModel);
        assertThat(store.size()).isBetween(liveInModel, (long) KEY_COUNT);
    }

    /** The value as Redis reads an integer, or null. */
    private static Long redisInteger(String value) {
        if (!value.matches("0|-?[1-9][0-9]{0,19}")) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long addOrNull(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return null;
        }
    }

    private static UnsafeBuffer buffer(String text) {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    static Gen<List<Op>> operations() {
        final Gen<Kind> kinds = Generate.frequency(
            Pair.of(30, Generate.constant(Kind.SET)),
            Pair.of(10, Generate.constant(Kind.GET)),
            Pair.of(10, Generate.constant(Kind.DELETE)),
            Pair.of(10, Generate.constant(Kind.CAS)),
            Pair.of(10, Generate.constant(Kind.INCREMENT)),
            Pair.of(8, Generate.constant(Kind.ADVANCE_TIME)),
            Pair.of(5, Generate.constant(Kind.SWEEP)),
            Pair.of(2, Generate.constant(Kind.SNAPSHOT)),
            Pair.of(1, Generate.constant(Kind.CLEAR)),
            Pair.of(3, Generate.constant(Kind.EVICT)));
        final Gen<String> words = strings().betweenCodePoints('a', 'z').ofLengthBetween(0, 40);
        final Gen<String> integers = longs().between(-1000, 1000).map(n -> Long.toString(n));
        final Gen<String> edges = Generate.pick(List.of("9223372036854775807", "-9223372036854775808", "007", "-0", ""));
        final Gen<String> longWords = strings().betweenCodePoints('a', 'z').ofLengthBetween(100, 400);
        final Gen<String> huge = integers().between(17_000, 40_000).map("L"::repeat);
        final Gen<String> values = Generate.frequency(
            Pair.of(10, words), Pair.of(6, integers), Pair.of(1, edges), Pair.of(3, longWords), Pair.of(1, huge));
        final Gen<Long> ttls = Generate.frequency(
            Pair.of(3, Generate.constant(0L)),
            Pair.of(2, longs().between(1, 200)));
        final Gen<Long> amounts = Generate.frequency(
            Pair.of(8, longs().between(-100, 100)),
            Pair.of(1, Generate.pick(List.of(Long.MAX_VALUE, Long.MIN_VALUE))));
        final Gen<Integer> keys = integers().between(0, KEY_COUNT - 1);
        final Gen<Boolean> flags = booleans().all();
        final Gen<Op> op = in -> new Op(kinds.generate(in), keys.generate(in), values.generate(in), ttls.generate(in),
            amounts.generate(in), flags.generate(in));
        return lists().of(op).ofSizeBetween(1, 120);
    }
}
