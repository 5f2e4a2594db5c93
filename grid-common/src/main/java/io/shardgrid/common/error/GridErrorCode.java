package io.shardgrid.common.error;

/**
 * Every outcome a caller must tell apart, with its number on the wire (fixed forever, equal to
 * {@code shardgrid.v1.ErrorCode}), the gRPC status it travels as, whether the failed operation
 * certainly changed nothing, and what a client does about it. This is the one source of the error
 * model: {@code proto/shardgrid/v1/errors.proto} and README's error table are checked against it.
 *
 * <p>gRPC status codes are kept as their numbers so this module's hand-written code needs no
 * {@code io.grpc} import.
 */
public enum GridErrorCode {
    OK(0, GrpcStatus.OK, Outcome.DEFINITE, Retry.NEVER),
    NOT_LEADER(1, GrpcStatus.FAILED_PRECONDITION, Outcome.DEFINITE, Retry.AFTER_MAP_REFRESH),
    STALE_EPOCH(2, GrpcStatus.FAILED_PRECONDITION, Outcome.DEFINITE, Retry.AFTER_MAP_REFRESH),
    INVALID_ARGUMENT(3, GrpcStatus.INVALID_ARGUMENT, Outcome.DEFINITE, Retry.NEVER),
    RESOURCE_EXHAUSTED(4, GrpcStatus.RESOURCE_EXHAUSTED, Outcome.DEFINITE, Retry.A_FEW_TIMES),
    UNAVAILABLE(5, GrpcStatus.UNAVAILABLE, Outcome.DEFINITE, Retry.AFTER_BACKOFF),
    DEADLINE_EXCEEDED(6, GrpcStatus.DEADLINE_EXCEEDED, Outcome.AMBIGUOUS, Retry.IF_IDEMPOTENT),
    UNAUTHENTICATED(7, GrpcStatus.UNAUTHENTICATED, Outcome.DEFINITE, Retry.NEVER),
    INTERNAL(8, GrpcStatus.INTERNAL, Outcome.AMBIGUOUS, Retry.NEVER),
    NOT_FOUND(9, GrpcStatus.NOT_FOUND, Outcome.DEFINITE, Retry.NEVER),
    CONDITION_FAILED(10, GrpcStatus.FAILED_PRECONDITION, Outcome.DEFINITE, Retry.NEVER),
    WRONG_TYPE(11, GrpcStatus.FAILED_PRECONDITION, Outcome.DEFINITE, Retry.NEVER),
    UNKNOWN_PARTITION(12, GrpcStatus.INVALID_ARGUMENT, Outcome.DEFINITE, Retry.NEVER),
    OUTCOME_UNKNOWN(13, GrpcStatus.UNKNOWN, Outcome.AMBIGUOUS, Retry.IF_IDEMPOTENT);

    /** Whether the failed operation may have taken effect anyway. */
    public enum Outcome {
        /** Nothing was applied: sending the operation again cannot apply it twice. */
        DEFINITE,
        /** A write may or may not have been applied (a read changed nothing either way). */
        AMBIGUOUS
    }

    /** What a client may do after this outcome. */
    public enum Retry {
        /** Final: retrying cannot change the answer. */
        NEVER,
        /** The request reached the wrong node: refresh the partition map, then retry. */
        AFTER_MAP_REFRESH,
        /** Transient: retry after a short backoff, within the caller's deadline. */
        AFTER_BACKOFF,
        /**
         * May last (a full memory budget stays full until something is deleted or expires): retry
         * at most {@link #A_FEW_TIMES_ATTEMPTS} attempts in all, then report it.
         */
        A_FEW_TIMES,
        /** The write may have been applied: retry only an idempotent operation (get, set, delete). */
        IF_IDEMPOTENT
    }

    /** Attempts in all, the first included, for a code of class {@link Retry#A_FEW_TIMES}. */
    public static final int A_FEW_TIMES_ATTEMPTS = 3;

    /** The gRPC status code numbers used above (from the gRPC spec, which never renumbers them). */
    public static final class GrpcStatus {
        public static final int OK = 0;
        public static final int UNKNOWN = 2;
        public static final int INVALID_ARGUMENT = 3;
        public static final int DEADLINE_EXCEEDED = 4;
        public static final int NOT_FOUND = 5;
        public static final int RESOURCE_EXHAUSTED = 8;
        public static final int FAILED_PRECONDITION = 9;
        public static final int INTERNAL = 13;
        public static final int UNAVAILABLE = 14;
        public static final int UNAUTHENTICATED = 16;

        private GrpcStatus() {
        }
    }

    private static final GridErrorCode[] BY_WIRE = new GridErrorCode[values().length];

    static {
        for (GridErrorCode code : values()) {
            BY_WIRE[code.wire] = code;
        }
    }

    private final int wire;
    private final int grpcStatus;
    private final Outcome outcome;
    private final Retry retry;

    GridErrorCode(int wire, int grpcStatus, Outcome outcome, Retry retry) {
        this.wire = wire;
        this.grpcStatus = grpcStatus;
        this.outcome = outcome;
        this.retry = retry;
    }

    public int wire() {
        return wire;
    }

    public int grpcStatus() {
        return grpcStatus;
    }

    public Outcome outcome() {
        return outcome;
    }

    public Retry retry() {
        return retry;
    }

    public boolean needsMapRefresh() {
        return retry == Retry.AFTER_MAP_REFRESH;
    }

    /**
     * Whether an operation that ended with this code, on attempt number {@code attempt} (1 for
     * the first), may be sent again.
     */
    public boolean retryable(boolean idempotent, int attempt) {
        return switch (retry) {
            case NEVER -> false;
            case AFTER_MAP_REFRESH, AFTER_BACKOFF -> true;
            case A_FEW_TIMES -> attempt < A_FEW_TIMES_ATTEMPTS;
            case IF_IDEMPOTENT -> idempotent;
        };
    }

    /** The code for a wire number; unknown numbers (from a newer peer) read as {@link #INTERNAL}. */
    public static GridErrorCode fromWire(int wire) {
        return wire >= 0 && wire < BY_WIRE.length && BY_WIRE[wire] != null ? BY_WIRE[wire] : INTERNAL;
    }
}
