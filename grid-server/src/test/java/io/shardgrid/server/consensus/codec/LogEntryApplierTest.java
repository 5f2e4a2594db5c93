package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.core.ports.PartitionStore.CONDITION_FAILED;
import static io.shardgrid.server.core.ports.PartitionStore.FAILED;
import static io.shardgrid.server.core.ports.PartitionStore.FULL;
import static io.shardgrid.server.core.ports.PartitionStore.OK;
import static io.shardgrid.server.core.ports.PartitionStore.WRONG_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.core.ports.PartitionStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

class LogEntryApplierTest {
    private static final long T0 = 1_700_000_000_000L;

    /** One op's reported outcome. */
    private record Result(int opIndex, int status, long value) {
    }

    private static final class RecordingResults implements LogEntryApplier.ResultHandler {
        final List<Result> results = new ArrayList<>();

        @Override
        public void onResult(int opIndex, int status, long value) {
            results.add(new Result(opIndex, status, value));
        }
    }

    private final LogEntryApplier applier = new LogEntryApplier();

    @Test
    void appliesEveryOpInLogOrderAndReportsEachOutcome() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        LogEntryFlyweight entry = entry(T0,
            ModelOp.set(b("a"), b("1"), 0),
            ModelOp.increment(b("a"), 41, 0),
            ModelOp.compareAndSet(b("a"), false, b("42"), b("x"), 0),
            ModelOp.compareAndSet(b("a"), true, b(""), b("y"), 0),
            ModelOp.compareAndSet(b("a"), false, b("42"), b("z"), 0),
            ModelOp.increment(b("a"), 1, 0),
            ModelOp.delete(b("a")),
            ModelOp.delete(b("a")),
            ModelOp.compareAndSet(b("a"), true, b(""), b("new"), 0),
            ModelOp.set(b("c"), b("v"), 0),
            ModelOp.evict(b("c")),
            ModelOp.evict(b("c")));
        RecordingResults results = new RecordingResults();

        int applied = applier.apply(entry, store, results);

        assertThat(applied).isEqualTo(12);
        assertThat(results.results).containsExactly(
            new Result(0, OK, 0),
            new Result(1, OK, 42),
            new Result(2, OK, 0),
            new Result(3, CONDITION_FAILED, 0),
            new Result(4, CONDITION_FAILED, 0),
            new Result(5, WRONG_TYPE, 0),
            new Result(6, OK, 1),
            new Result(7, OK, 0),
            new Result(8, OK, 0),
            new Result(9, OK, 0),
            new Result(10, OK, 1),
            new Result(11, OK, 0));
        assertThat(store.liveAt(T0)).containsExactly(Map.entry("a", "new@0"));
    }

    @Test
    void everyOpRunsAtTheEntryLeaderTimeNotTheReplicaClock() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        LogEntryFlyweight entry = entry(T0 + 123,
            ModelOp.set(b("a"), b("1"), 10), ModelOp.delete(b("b")), ModelOp.increment(b("c"), 1, 0),
            ModelOp.compareAndSet(b("d"), true, b(""), b("v"), 0), ModelOp.evict(b("a")));

        applier.apply(entry, store, LogEntryApplier.IGNORE_RESULTS);

        // Four timed writes; an eviction needs no time (the leader already chose the key).
        assertThat(store.writeNowMs()).hasSize(4).containsOnly(T0 + 123);
        assertThat(store.evictedCount()).isEqualTo(1);
    }

    @Test
    void incrementCreatesTheKeyWithTheLeaderDeadlineAndKeepsItAfterwards() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        RecordingResults results = new RecordingResults();

        applier.apply(entry(T0, ModelOp.increment(b("n"), 5, 1_000)), store, results);
        applier.apply(entry(T0 + 10, ModelOp.increment(b("n"), -7, 60_000)), store, results);

        assertThat(results.results).containsExactly(new Result(0, OK, 5), new Result(0, OK, -2));
        assertThat(store.liveAt(T0 + 10)).containsExactly(Map.entry("n", "-2@" + (T0 + 1_000)));
    }

    @Test
    void replicasApplyingTheSameLogExpireTheSameKeysAtTheSameEntry() {
        List<LogEntryFlyweight> log = List.of(
            entry(T0, ModelOp.set(b("k"), b("v"), 500), ModelOp.set(b("forever"), b("v"), 0)),
            entry(T0 + 499, ModelOp.compareAndSet(b("k"), true, b(""), b("early"), 0)),
            entry(T0 + 500, ModelOp.compareAndSet(b("k"), true, b(""), b("late"), 0)));
        HashMapPartitionStore replicaA = new HashMapPartitionStore(100);
        HashMapPartitionStore replicaB = new HashMapPartitionStore(100);
        RecordingResults resultsA = new RecordingResults();
        RecordingResults resultsB = new RecordingResults();

        for (LogEntryFlyweight entry : log) {
            applier.apply(entry, replicaA, resultsA);
        }
        for (LogEntryFlyweight entry : log) {
            applier.apply(entry, replicaB, resultsB);
        }

        assertThat(resultsA.results).isEqualTo(resultsB.results)
            .extracting(Result::status).containsExactly(OK, OK, CONDITION_FAILED, OK);
        assertThat(replicaA.liveAt(T0 + 500)).isEqualTo(replicaB.liveAt(T0 + 500))
            .containsOnly(Map.entry("k", "late@0"), Map.entry("forever", "v@0"));
    }

    @Test
    void expireRemovesOnlyKeysExpiredAtTheEntryAndSurvivesARewrite() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        RecordingResults results = new RecordingResults();
        applier.apply(entry(T0, ModelOp.set(b("old"), b("v"), 100), ModelOp.set(b("young"), b("v"), 1_000),
            ModelOp.set(b("forever"), b("v"), 0)), store, results);
        // The leader found "old" expired, but a write renewed it before the EXPIRE was applied.
        applier.apply(entry(T0 + 200, ModelOp.set(b("renewed"), b("v"), 50)), store, results);
        results.results.clear();

        applier.apply(entry(T0 + 300, ModelOp.expire(b("old")), ModelOp.expire(b("young")),
            ModelOp.expire(b("forever")), ModelOp.expire(b("renewed")), ModelOp.expire(b("absent"))), store, results);

        assertThat(results.results).extracting(Result::value).containsExactly(1L, 0L, 0L, 1L, 0L);
        assertThat(store.liveAt(0).keySet()).containsExactlyInAnyOrder("young", "forever");
    }

    @Test
    void anEntryAppliedAtAnApplyClockAheadOfItsOwnTimeSeesWhatThatClockSees() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        RecordingResults results = new RecordingResults();
        applier.apply(entry(T0, ModelOp.set(b("k"), b("1"), 100)), store, results);
        results.results.clear();

        // Stamped by a leader whose clock is behind: the state machine's apply clock wins.
        applier.apply(entry(T0 + 50, ModelOp.expire(b("k")), ModelOp.compareAndSet(b("k"), true, b(""), b("2"), 0)),
            store, T0 + 200, results);

        assertThat(results.results).containsExactly(new Result(0, OK, 1), new Result(1, OK, 0));
        assertThat(store.writeNowMs()).containsOnly(T0, T0 + 200);
    }

    @Test
    void aFullStoreReportsFullForTheOpsThatDoNotFitAndAppliesTheRest() {
        HashMapPartitionStore store = new HashMapPartitionStore(1);
        RecordingResults results = new RecordingResults();

        applier.apply(entry(T0,
            ModelOp.set(b("a"), b("1"), 0),
            ModelOp.set(b("b"), b("2"), 0),
            ModelOp.increment(b("c"), 1, 0),
            ModelOp.set(b("a"), b("3"), 0)), store, results);

        assertThat(results.results).extracting(Result::status).containsExactly(OK, FULL, FULL, OK);
        assertThat(store.liveAt(T0)).containsExactly(Map.entry("a", "3@0"));
    }

    @Test
    void anOpThatThrowsIsFailedAloneAndTheRestOfTheEntryIsApplied() {
        HashMapPartitionStore inner = new HashMapPartitionStore(100);
        // A store with a bug that only a key named "boom" meets.
        PartitionStore store = (PartitionStore) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {PartitionStore.class}, (proxy, method, args) -> {
                if (method.getName().equals("set") && ((DirectBuffer) args[0]).getByte((int) args[1]) == 'b') {
                    throw new IllegalStateException("injected bug");
                }
                try {
                    return method.invoke(inner, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        RecordingResults results = new RecordingResults();

        int applied = applier.apply(entry(T0,
            ModelOp.set(b("a"), b("1"), 0),
            ModelOp.set(b("boom"), b("2"), 0),
            ModelOp.increment(b("c"), 1, 0)), store, results);

        assertThat(applied).isEqualTo(3);
        assertThat(results.results)
            .containsExactly(new Result(0, OK, 0), new Result(1, FAILED, 0), new Result(2, OK, 1));
        assertThat(inner.liveAt(T0)).containsOnly(Map.entry("a", "1@0"), Map.entry("c", "1@0"));
    }

    @Test
    void anEmptyEntryAppliesNothing() {
        HashMapPartitionStore store = new HashMapPartitionStore(100);
        RecordingResults results = new RecordingResults();

        assertThat(applier.apply(entry(T0), store, results)).isZero();
        assertThat(results.results).isEmpty();
        assertThat(store.writeNowMs()).isEmpty();
    }

    private static LogEntryFlyweight entry(long leaderTimeMs, ModelOp... ops) {
        ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
        LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, 0).reset(leaderTimeMs);
        for (ModelOp op : ops) {
            op.appendTo(encoder);
        }
        return new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
