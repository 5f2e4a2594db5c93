package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.bench.chaos.Operation.Outcome;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChaosOutcomeTest {
    @ParameterizedTest
    @EnumSource(value = GridErrorCode.class, names = {"DEADLINE_EXCEEDED", "UNAVAILABLE", "OUTCOME_UNKNOWN",
        "RESOURCE_EXHAUSTED", "INTERNAL"})
    void errorsThatMayHaveAppliedAreUnknown(GridErrorCode code) {
        assertThat(ChaosWorkload.outcomeOf(new GridException(code, "x"))).isEqualTo(Outcome.UNKNOWN);
        assertThat(ChaosWorkload.outcomeOf(new CompletionException(new GridException(code, "x"))))
            .isEqualTo(Outcome.UNKNOWN);
    }

    @ParameterizedTest
    @EnumSource(value = GridErrorCode.class, names = {"NOT_LEADER", "STALE_EPOCH", "INVALID_ARGUMENT", "WRONG_TYPE",
        "CONDITION_FAILED"})
    void errorsThatAppliedNothingAreFailures(GridErrorCode code) {
        assertThat(ChaosWorkload.outcomeOf(new ExecutionException(new GridException(code, "x"))))
            .isEqualTo(Outcome.FAIL);
    }

    @Test
    void anythingElseIsUnknown() {
        assertThat(ChaosWorkload.outcomeOf(new TimeoutException())).isEqualTo(Outcome.UNKNOWN);
        assertThat(ChaosWorkload.outcomeOf(new IllegalStateException("boom"))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void longestGapCountsFromTheFaultStartToItsEnd() {
        long[] okAt = {5, 10, 12, 30, 31, 50};
        assertThat(ChaosResult.longestGap(okAt, 10, 40)).isEqualTo(18);
        assertThat(ChaosResult.longestGap(okAt, 31, 45)).isEqualTo(14);
        assertThat(ChaosResult.longestGap(new long[0], 0, 7)).isEqualTo(7);
    }
}
