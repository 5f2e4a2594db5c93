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
    void retryClassificationNeverRepeatsAMaybeCommittedNonIdempotentWrite() {
        assertThat(GridErrorCode.NOT_LEADER.needsMapRefresh()).isTrue();
        assertThat(GridErrorCode.STALE_EPOCH.needsMapRefresh()).isTrue();
        assertThat(GridErrorCode.DEADLINE_EXCEEDED.retryable(true)).isTrue();
        assertThat(GridErrorCode.DEADLINE_EXCEEDED.retryable(false)).isFalse();
        assertThat(GridErrorCode.INVALID_ARGUMENT.retryable(true)).isFalse();
        assertThat(GridErrorCode.UNAVAILABLE.retryable(false)).isTrue();
        assertThat(GridErrorCode.fromWire(999)).isEqualTo(GridErrorCode.INTERNAL);
    }
}
