package io.shardgrid.common.limits;

/**
 * Count and size bounds on one call, so no request can ask a node for unbounded work or an
 * unbounded answer. Each is checked before anything is applied; a call over a bound answers
 * INVALID_ARGUMENT (it can never succeed as sent) or RESOURCE_EXHAUSTED (it may once load drops),
 * naming the bound. The smart client's defaults stay well inside them (512 ops and 1 MiB per
 * message, 8,192 ops in flight per node).
 */
public final class CallLimits {
    /** Keys in one MultiGet, entries in one MultiSet. */
    public static final int MAX_KEYS_PER_CALL = 10_000;
    /** Ops in one Batch stream message. */
    public static final int MAX_OPS_PER_MESSAGE = 10_000;
    /** Ops awaiting their answers on one Batch stream, summed over its messages. */
    public static final int MAX_OPS_IN_FLIGHT_PER_STREAM = 65_536;
    /** Value bytes in one answer (a MultiGet response, a Batch response message): under gRPC's 32 MiB message cap. */
    public static final int MAX_RESPONSE_VALUE_BYTES = 24 * 1024 * 1024;

    private CallLimits() {
    }
}
