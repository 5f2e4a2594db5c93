package io.shardgrid.common.error;

import java.util.Objects;

/**
 * An operation ended with a grid error code other than {@link GridErrorCode#OK}. For NOT_LEADER
 * and STALE_EPOCH it carries the map epoch of the node that answered, and for NOT_LEADER (and an
 * OUTCOME_UNKNOWN after a leader change) the leader hint (a node id, empty when unknown), so a
 * client can reroute without another round trip.
 */
public class GridException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final GridErrorCode code;
    private final String leaderHint;
    private final long mapEpoch;

    public GridException(GridErrorCode code, String message) {
        this(code, message, "", 0, null);
    }

    public GridException(GridErrorCode code, String message, Throwable cause) {
        this(code, message, "", 0, cause);
    }

    public GridException(GridErrorCode code, String message, String leaderHint, long mapEpoch, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.leaderHint = leaderHint == null ? "" : leaderHint;
        this.mapEpoch = mapEpoch;
    }

    public GridErrorCode code() {
        return code;
    }

    public String leaderHint() {
        return leaderHint;
    }

    public long mapEpoch() {
        return mapEpoch;
    }

    /** The message without the code prefix, as it travels on the wire. */
    public String detail() {
        String m = getMessage();
        String prefix = code + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    public static GridException invalidArgument(String message) {
        return new GridException(GridErrorCode.INVALID_ARGUMENT, message);
    }

    public static GridException notLeader(int partitionId, String leaderHint, long mapEpoch) {
        String hint = leaderHint == null || leaderHint.isEmpty() ? "unknown" : leaderHint;
        return new GridException(GridErrorCode.NOT_LEADER,
            "this node does not lead partition " + partitionId + "; leader is " + hint, leaderHint, mapEpoch, null);
    }
}
