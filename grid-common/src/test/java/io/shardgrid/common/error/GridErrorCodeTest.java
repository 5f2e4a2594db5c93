package io.shardgrid.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardgrid.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;

class GridErrorCodeTest {

    @Test
    void wireNumbersMatchTheProtoEnumOneToOne() {
        for (GridErrorCode code : GridErrorCode.values()) {
            assertThat(ErrorCode.forNumber(code.wire())).as(code.name()).isNotNull();
            assertThat(ErrorCode.forNumber(code.wire()).name()).isEqualTo(code.name());
        }
        for (ErrorCode wire : ErrorCode.values()) {
            if (wire != ErrorCode.UNRECOGNIZED) {
                assertThat(GridErrorCode.fromWire(wire.getNumber()).name()).isEqualTo(wire.name());
            }
        }
    }

    @Test
    void grpcStatusNumbersAreRealGrpcCodes() {
        for (GridErrorCode code : GridErrorCode.values()) {
            Status.Code grpc = Status.fromCodeValue(code.grpcStatus()).getCode();
            assertThat(grpc.value()).as(code.name()).isEqualTo(code.grpcStatus());
        }
        assertThat(Status.fromCodeValue(GridErrorCode.NOT_LEADER.grpcStatus()).getCode())
            .isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(Status.fromCodeValue(GridErrorCode.UNAVAILABLE.grpcStatus()).getCode())
            .isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void retryClassificationNeverRepeatsAMaybeAppliedNonIdempotentWrite() {
        for (GridErrorCode code : GridErrorCode.values()) {
            if (code.outcome() == GridErrorCode.Outcome.AMBIGUOUS) {
                assertThat(code.retryable(false, 1)).as(code.name()).isFalse();
            }
        }
        assertThat(GridErrorCode.OUTCOME_UNKNOWN.outcome()).isEqualTo(GridErrorCode.Outcome.AMBIGUOUS);
        assertThat(GridErrorCode.OUTCOME_UNKNOWN.retryable(true, 1)).isTrue();
        assertThat(GridErrorCode.NOT_LEADER.needsMapRefresh()).isTrue();
        assertThat(GridErrorCode.STALE_EPOCH.needsMapRefresh()).isTrue();
        assertThat(GridErrorCode.DEADLINE_EXCEEDED.retryable(true, 1)).isTrue();
        assertThat(GridErrorCode.DEADLINE_EXCEEDED.retryable(false, 1)).isFalse();
        assertThat(GridErrorCode.INVALID_ARGUMENT.retryable(true, 1)).isFalse();
        assertThat(GridErrorCode.UNAVAILABLE.retryable(false, 100)).isTrue();
        assertThat(GridErrorCode.fromWire(999)).isEqualTo(GridErrorCode.INTERNAL);
    }

    @Test
    void resourceExhaustedIsRetriedOnlyAFewTimes() {
        assertThat(GridErrorCode.RESOURCE_EXHAUSTED.retryable(false, 1)).isTrue();
        assertThat(GridErrorCode.RESOURCE_EXHAUSTED.retryable(false, GridErrorCode.A_FEW_TIMES_ATTEMPTS - 1)).isTrue();
        assertThat(GridErrorCode.RESOURCE_EXHAUSTED.retryable(true, GridErrorCode.A_FEW_TIMES_ATTEMPTS)).isFalse();
    }
}
