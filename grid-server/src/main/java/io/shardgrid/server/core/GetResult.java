package io.shardgrid.server.core;

/**
 * A read's outcome: the value copied out of the store, or absent.
 *
 * @param expireAtMs absolute deadline, 0 = never expires
 */
public record GetResult(boolean found, byte[] value, long expireAtMs) {
    private static final GetResult ABSENT = new GetResult(false, new byte[0], 0);

    public static GetResult absent() {
        return ABSENT;
    }
}
