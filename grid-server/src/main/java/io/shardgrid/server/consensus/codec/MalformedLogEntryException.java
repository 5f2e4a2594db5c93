package io.shardgrid.server.consensus.codec;

/**
 * A log entry's bytes do not follow {@link LogEntryDescriptor}: wrong version, truncated, or
 * inconsistent lengths. Raised before any op is applied, so a replica never applies half an entry.
 */
public final class MalformedLogEntryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedLogEntryException(String message) {
        super(message);
    }
}
