package io.shardgrid.common.error;

import java.util.Objects;

/** An operation ended with a grid error code other than {@link GridErrorCode#OK}. */
public class GridException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final GridErrorCode code;

    public GridException(GridErrorCode code, String message) {
        super(code + ": " + message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public GridException(GridErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public GridErrorCode code() {
        return code;
    }

    public static GridException invalidArgument(String message) {
        return new GridException(GridErrorCode.INVALID_ARGUMENT, message);
    }
}
