package io.shardgrid.server.store;

import static io.shardgrid.server.core.ports.PartitionStore.CONDITION_FAILED;
import static io.shardgrid.server.core.ports.PartitionStore.FULL;
import static io.shardgrid.server.core.ports.PartitionStore.OK;
import static io.shardgrid.server.core.ports.PartitionStore.WRONG_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Random operation sequences against a {@link HashMap} model with expiry, compared after every step. */
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
    }

    record Entry(String value, long expireAtMs) {
        boolean liveAt(long nowMs) {
            return expireAtMs == 0 || expireAtMs > nowMs;
        }
    }

    @Property(tries = 300)
    void storeBehavesLikeAMapWithExpiry(@ForAll("operations") List<Op> ops, @ForAll boolean smallBudget)
        throws IOException {
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
        Statistics.label("a write got FULL").collect(fullOutcomes > 0);
        Statistics.label("increment of a non-integer").collect(sawWrongType);
        Statistics.label("a write got FULL").coverage(c -> c.check(true).count(n -> n > 0));
        Statistics.label("increment of a non-integer").coverage(c -> c.check(true).count(n -> n > 0));
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

    @Provide
    Arbitrary<List<Op>> operations() {
        final Arbitrary<Kind> kinds = Arbitraries.frequencyOf(
            Tuple.of(30, Arbitraries.just(Kind.SET)),
            Tuple.of(10, Arbitraries.just(Kind.GET)),
            Tuple.of(10, Arbitraries.just(Kind.DELETE)),
            Tuple.of(10, Arbitraries.just(Kind.CAS)),
            Tuple.of(10, Arbitraries.just(Kind.INCREMENT)),
            Tuple.of(8, Arbitraries.just(Kind.ADVANCE_TIME)),
            Tuple.of(5, Arbitraries.just(Kind.SWEEP)),
            Tuple.of(2, Arbitraries.just(Kind.SNAPSHOT)),
            Tuple.of(1, Arbitraries.just(Kind.CLEAR)),
            Tuple.of(3, Arbitraries.just(Kind.EVICT)));
        final Arbitrary<String> values = Arbitraries.frequencyOf(
            Tuple.of(10, Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(40)),
            Tuple.of(6, Arbitraries.longs().between(-1000, 1000).map(Object::toString)),
            Tuple.of(1, Arbitraries.of("9223372036854775807", "-9223372036854775808", "007", "-0", "")),
            Tuple.of(3, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(100).ofMaxLength(400)),
            Tuple.of(1, Arbitraries.integers().between(17_000, 40_000).map("L"::repeat)));
        final Arbitrary<Long> ttls = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just(0L)),
            Tuple.of(2, Arbitraries.longs().between(1, 200)));
        final Arbitrary<Long> amounts = Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.longs().between(-100, 100)),
            Tuple.of(1, Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE)));
        final Arbitrary<Op> op = Combinators.combine(kinds, Arbitraries.integers().between(0, KEY_COUNT - 1),
            values, ttls, amounts, Arbitraries.of(true, false)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(120);
    }
}
