package io.shardgrid.server.core.ports;

import java.util.Objects;

/**
 * One validated write on its way into a partition's raft log. Built at the edge (gRPC, HTTP) from
 * a request that already passed {@code Limits}; consensus batches many of them into one entry.
 *
 * @param type          what the write does
 * @param key           the key, never empty
 * @param value         the new value (SET, COMPARE_AND_SET); empty otherwise
 * @param expected      the value COMPARE_AND_SET requires; empty otherwise
 * @param expectAbsent  COMPARE_AND_SET requires the key to be absent instead
 * @param ttlMs         0 = never expires; made absolute with the entry's leader timestamp
 * @param delta         INCREMENT's addend
 */
public record WriteCommand(Type type, byte[] key, byte[] value, byte[] expected, boolean expectAbsent,
                           long ttlMs, long delta) {
    private static final byte[] NONE = new byte[0];

    public enum Type { SET, DELETE, COMPARE_AND_SET, INCREMENT, EVICT, EXPIRE }

    public WriteCommand {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        value = value == null ? NONE : value;
        expected = expected == null ? NONE : expected;
    }

    public static WriteCommand set(byte[] key, byte[] value, long ttlMs) {
        return new WriteCommand(Type.SET, key, value, NONE, false, ttlMs, 0);
    }

    public static WriteCommand delete(byte[] key) {
        return new WriteCommand(Type.DELETE, key, NONE, NONE, false, 0, 0);
    }

    public static WriteCommand compareAndSet(byte[] key, byte[] expected, boolean expectAbsent, byte[] value,
                                             long ttlMs) {
        return new WriteCommand(Type.COMPARE_AND_SET, key, value, expected, expectAbsent, ttlMs, 0);
    }

    public static WriteCommand increment(byte[] key, long delta, long ttlMs) {
        return new WriteCommand(Type.INCREMENT, key, NONE, NONE, false, ttlMs, delta);
    }

    public static WriteCommand evict(byte[] key) {
        return new WriteCommand(Type.EVICT, key, NONE, NONE, false, 0, 0);
    }

    /** Removes {@code key} only if it has expired by the entry's time (the leader's replicated expiry). */
    public static WriteCommand expire(byte[] key) {
        return new WriteCommand(Type.EXPIRE, key, NONE, NONE, false, 0, 0);
    }

    /** Bytes this write carries, for bounding batches and queues. */
    public int payloadBytes() {
        return key.length + value.length + expected.length;
    }

    /** Whether applying it twice leaves the same state as applying it once. */
    public boolean idempotent() {
        return type == Type.SET || type == Type.DELETE || type == Type.EVICT || type == Type.EXPIRE;
    }
}
