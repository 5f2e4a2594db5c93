package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.bench.chaos.KeyResult.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-made histories on one key {@code k}; times are small integers, an interval is [call, return]. */
class LinearizabilityCheckerTest {
    private final List<Operation> ops = new ArrayList<>();
    private long nextId;

    private Operation add(Operation op) {
        ops.add(op);
        return op;
    }

    private Operation set(String value, long from, long to) {
        return add(Operation.set(nextId++, 0, "k", value, from, to));
    }

    private Operation get(String read, long from, long to) {
        return add(Operation.get(nextId++, 1, "k", from, to, read));
    }

    private Operation cas(String expected, String value, long from, long to, boolean swapped) {
        return add(Operation.cas(nextId++, 2, "k", expected, value, from, to, swapped));
    }

    private Operation delete(long from, long to, Boolean removed) {
        return add(Operation.delete(nextId++, 3, "k", from, to, removed));
    }

    private Operation increment(long delta, long from, long to, long result) {
        return add(Operation.increment(nextId++, 4, "k", delta, from, to, result));
    }

    /** Replaces the last operation added with the same call, answered UNKNOWN. */
    private void lastIsUnknown() {
        ops.set(ops.size() - 1, ops.get(ops.size() - 1).asUnknown());
    }

    private void lastFailed() {
        ops.set(ops.size() - 1, ops.get(ops.size() - 1).asFailed());
    }

    private CheckReport check() {
        return new LinearizabilityChecker().check(ops);
    }

    private void assertLinearizable() {
        CheckReport report = check();
        assertThat(report.linearizable()).as(report.toText()).isTrue();
    }

    /** Asserts a violation and that the explanation names {@code culprit}; returns the text. */
    private String assertViolation(Operation culprit) {
        CheckReport report = check();
        assertThat(report.violations()).as(report.toText()).hasSize(1);
        KeyResult key = report.violations().get(0);
        assertThat(key.explanation()).contains("#" + culprit.id() + " ");
        return report.toText();
    }

    @Test
    void sequentialHistoryOfEveryKindPasses() {
        get(null, 0, 1);
        set("1", 2, 3);
        get("1", 4, 5);
        cas("1", "2", 6, 7, true);
        cas("1", "3", 8, 9, false);
        get("2", 10, 11);
        delete(12, 13, true);
        delete(14, 15, false);
        get(null, 16, 17);
        cas(null, "7", 18, 19, true);
        increment(3, 20, 21, 10);
        increment(-12, 22, 23, -2);
        get("-2", 24, 25);
        assertLinearizable();
    }

    @Test
    void readsOverlappingAWriteMaySeeTheOldOrTheNewValue() {
        set("1", 0, 10);
        set("2", 20, 40);
        get("1", 25, 30);
        get("2", 26, 35);
        get("1", 27, 41);
        assertLinearizable();
    }

    @Test
    void readsDuringAWriteCannotSeeTheNewValueAndThenTheOld() {
        set("1", 0, 10);
        set("2", 20, 40);
        get("2", 21, 22);
        Operation stale = get("1", 23, 24);
        assertViolation(stale);
    }

    @Test
    void staleReadAfterAnAcknowledgedWriteIsCaught() {
        set("1", 0, 1);
        set("2", 2, 3);
        Operation stale = get("1", 4, 5);
        String text = assertViolation(stale);
        assertThat(text).contains("NOT LINEARIZABLE").contains("it read \"1\" but the register held \"2\"");
    }

    @Test
    void lostAcknowledgedWriteIsCaught() {
        set("1", 0, 1);
        get("1", 2, 3);
        set("2", 4, 5);
        Operation lost = get(null, 6, 7);
        assertViolation(lost);
    }

    @Test
    void twoCasFromTheSameValueBothSwappingIsCaught() {
        set("0", 0, 1);
        cas("0", "1", 10, 20, true);
        Operation second = cas("0", "2", 11, 21, true);
        CheckReport report = check();
        assertThat(report.violations()).as(report.toText()).hasSize(1);
        assertThat(report.violations().get(0).explanation()).contains("swapped but the register held");
        assertThat(second.applied()).isTrue();
    }

    @Test
    void twoConcurrentCasFromTheSameValueOneSwappingPasses() {
        set("0", 0, 1);
        cas("0", "1", 10, 20, false);
        cas("0", "2", 11, 21, true);
        get("2", 22, 23);
        assertLinearizable();
    }

    @Test
    void compareAndSetExpectingAbsentSwapsOnlyOnce() {
        cas(null, "a", 0, 10, true);
        cas(null, "b", 1, 11, false);
        get("a", 12, 13);
        assertLinearizable();
        ops.clear();
        cas(null, "a", 0, 10, true);
        Operation second = cas(null, "b", 1, 11, true);
        assertViolation(second);
    }

    @Test
    void unknownWriteThatShowsUpLaterIsAccepted() {
        set("1", 0, 1);
        set("2", 5, 6);
        lastIsUnknown();
        get("1", 50, 51);
        get("2", 100, 101);
        get("2", 102, 103);
        assertLinearizable();
    }

    @Test
    void unknownWriteThatNeverShowsUpIsAccepted() {
        set("1", 0, 1);
        set("2", 5, 6);
        lastIsUnknown();
        cas("9", "3", 7, 8, false);
        lastIsUnknown();
        increment(1, 9, 10, 0);
        lastIsUnknown();
        delete(11, 12, null);
        lastIsUnknown();
        get("1", 100, 101);
        assertLinearizable();
    }

    @Test
    void unknownWriteCannotTakeEffectBeforeItIsInvoked() {
        set("1", 0, 1);
        Operation early = get("2", 2, 3);
        set("2", 5, 6);
        lastIsUnknown();
        assertViolation(early);
    }

    @Test
    void unknownWriteTakesEffectOnce() {
        set("1", 0, 1);
        set("2", 5, 6);
        lastIsUnknown();
        get("2", 10, 11);
        set("3", 12, 13);
        Operation again = get("2", 14, 15);
        assertViolation(again);
    }

    @Test
    void failedWriteIsNeverSeen() {
        set("1", 0, 1);
        set("2", 2, 3);
        lastFailed();
        Operation seen = get("2", 4, 5);
        assertViolation(seen);
    }

    @Test
    void incrementsStartFromZeroAndAnswerTheSum() {
        increment(5, 0, 1, 5);
        increment(3, 2, 3, 8);
        get("8", 4, 5);
        assertLinearizable();
        ops.clear();
        increment(5, 0, 1, 5);
        Operation wrong = increment(3, 2, 3, 9);
        String text = assertViolation(wrong);
        assertThat(text).contains("it answered 9 but the register held \"5\", so 8");
    }

    @Test
    void concurrentIncrementsAnswerDistinctResults() {
        increment(1, 0, 10, 2);
        increment(1, 1, 11, 1);
        assertLinearizable();
        ops.clear();
        increment(1, 0, 10, 1);
        Operation duplicate = increment(1, 1, 11, 1);
        assertThat(check().violations()).hasSize(1);
        assertThat(duplicate.result()).isEqualTo(1);
    }

    @Test
    void unknownIncrementMayOrMayNotHaveCounted() {
        increment(1, 0, 1, 1);
        increment(1, 2, 3, 0);
        lastIsUnknown();
        increment(1, 4, 5, 3);
        assertLinearizable();
        ops.clear();
        increment(1, 0, 1, 1);
        increment(1, 2, 3, 0);
        lastIsUnknown();
        increment(1, 4, 5, 2);
        assertLinearizable();
    }

    @Test
    void incrementOfANonNumberCannotAnswer() {
        set("abc", 0, 1);
        increment(1, 2, 3, 0);
        lastIsUnknown();
        get("abc", 4, 5);
        assertLinearizable();
        ops.clear();
        set("007", 0, 1);
        Operation impossible = increment(1, 2, 3, 8);
        assertViolation(impossible);
    }

    @Test
    void deleteThenGetReadsAbsent() {
        set("1", 0, 1);
        delete(2, 3, true);
        get(null, 4, 5);
        assertLinearizable();
        ops.clear();
        set("1", 0, 1);
        delete(2, 3, true);
        Operation resurrected = get("1", 4, 5);
        assertViolation(resurrected);
    }

    @Test
    void deleteMustKnowWhetherTheKeyWasThere() {
        set("1", 0, 1);
        Operation wrong = delete(2, 3, false);
        assertViolation(wrong);
    }

    @Test
    void keysAreCheckedSeparately() {
        ops.add(Operation.set(100, 0, "a", "1", 0, 1));
        ops.add(Operation.set(101, 0, "b", "2", 2, 3));
        ops.add(Operation.get(102, 1, "a", 4, 5, "1"));
        ops.add(Operation.get(103, 1, "b", 6, 7, "1"));
        CheckReport report = check();
        assertThat(report.keys()).extracting(KeyResult::key).containsExactly("a", "b");
        assertThat(report.keys()).extracting(KeyResult::verdict).containsExactly(Verdict.LINEARIZABLE,
            Verdict.VIOLATION);
        assertThat(report.violations().get(0).blocked().id()).isEqualTo(103);
    }

    @Test
    void explanationShowsTheLongestPrefixAndTheBlockedOperation() {
        set("1", 0, 1);
        set("2", 2, 3);
        get("2", 4, 5);
        Operation stale = get("1", 6, 7);
        KeyResult key = check().violations().get(0);
        assertThat(key.linearized()).extracting(Operation::id).containsExactly(0L, 1L, 2L);
        assertThat(key.blocked()).isEqualTo(stale);
        assertThat(key.explanation())
            .contains("places 3 of 4 operations")
            .contains("#1 p0 set(k, \"2\") ok")
            .contains("then #3 p1 get(k) = \"1\"");
    }

    @Test
    void searchBeyondItsBudgetIsReportedUndecided() {
        for (int i = 0; i < 12; i++) {
            set(Integer.toString(i), 0, 100);
        }
        get("x", 101, 102);
        CheckReport report = new LinearizabilityChecker(50, Duration.ofSeconds(5)).check(ops);
        assertThat(report.timeouts()).hasSize(1);
        assertThat(report.linearizable()).isFalse();
        assertThat(report.toText()).startsWith("UNDECIDED").contains("undecided after");
    }

    @Test
    void reportCountsOutcomesAndWritesJson() {
        set("1", 0, 1);
        set("2\"\n", 2, 3);
        lastIsUnknown();
        set("3", 4, 5);
        lastFailed();
        get("\"quoted\"\\", 6, 7);
        CheckReport report = check();
        assertThat(report.operations()).isEqualTo(4);
        assertThat(report.ok()).isEqualTo(2);
        assertThat(report.unknown()).isEqualTo(1);
        assertThat(report.fail()).isEqualTo(1);
        String json = report.toJson();
        assertThat(json).startsWith("{\"linearizable\": false, \"operations\": 4, \"ok\": 2, \"fail\": 1, "
            + "\"unknown\": 1, \"keys_checked\": 1, \"violations\": 1, \"timeouts\": 0")
            .contains("\"verdict\": \"VIOLATION\"")
            .contains("\"blocked_op\": 3")
            .contains("get(k) = \\\"\\\"quoted\\\"\\\\\\\"")
            .doesNotContain("\n");
    }

    @Test
    void jsonStringsEscapeQuotesControlsAndSurrogates() {
        assertThat(JsonText.string(null)).isEqualTo("null");
        assertThat(JsonText.string("a\"b\\c\n\t\u0001")).isEqualTo("\"a\\\"b\\\\c\\n\\t\\u0001\"");
        assertThat(JsonText.string("\ud800")).isEqualTo("\"\\ud800\"");
    }

    @Test
    void emptyHistoryIsLinearizable() {
        CheckReport report = check();
        assertThat(report.linearizable()).isTrue();
        assertThat(report.keys()).isEmpty();
    }

    @Test
    void operationsRejectImpossibleTimes() {
        assertThatThrownBy(() -> Operation.set(1, 0, "k", "v", 10, 5))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("completes at 5 before");
        assertThatThrownBy(() -> new LinearizabilityChecker().check(List.of(Operation.set(1, 0, "k", "v", 0, 1),
            Operation.get(1, 0, "k", 2, 3, "v")))).hasMessageContaining("id 1 appears twice");
    }
}
