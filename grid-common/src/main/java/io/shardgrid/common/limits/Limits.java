package io.shardgrid.common.limits;

import io.shardgrid.common.error.GridException;

/**
 * Size limits on keys, values and TTLs, checked at every edge before anything changes. Messages
 * carry the offending value so a caller can see what was wrong.
 */
public record Limits(int maxKeyBytes, int maxValueBytes) {
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
    /** Hard ceiling: the log and store encode key lengths in 16 bits. */
    public static final int KEY_BYTES_CEILING = 65_535;
    /** Hard ceiling: one value must fit in one raft entry with room to spare. */
    public static final int VALUE_BYTES_CEILING = 16 * 1024 * 1024;
    /** TTLs longer than ~100 years are rejected to keep {@code now + ttl} far from overflow. */
    public static final long MAX_TTL_MS = 100L * 365 * 24 * 3600 * 1000;

    public static final Limits DEFAULT = new Limits(DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES);

    public Limits {
        if (maxKeyBytes < 1 || maxKeyBytes > KEY_BYTES_CEILING) {
            throw new IllegalArgumentException(
                "max key bytes " + maxKeyBytes + " must be in [1, " + KEY_BYTES_CEILING + "]");
        }
        if (maxValueBytes < 0 || maxValueBytes > VALUE_BYTES_CEILING) {
            throw new IllegalArgumentException(
                "max value bytes " + maxValueBytes + " must be in [0, " + VALUE_BYTES_CEILING + "]");
        }
    }

    public void checkKey(int keyLength) {
        if (keyLength == 0) {
            throw GridException.invalidArgument("key must not be empty");
        }
        if (keyLength > maxKeyBytes) {
            throw GridException.invalidArgument("key length " + keyLength + " exceeds limit " + maxKeyBytes);
        }
    }

    public void checkValue(int valueLength) {
        if (valueLength > maxValueBytes) {
            throw GridException.invalidArgument("value length " + valueLength + " exceeds limit " + maxValueBytes);
        }
    }

    public static void checkTtl(long ttlMs) {
        if (ttlMs < 0) {
            throw GridException.invalidArgument("ttl " + ttlMs + " ms must not be negative");
        }
        if (ttlMs > MAX_TTL_MS) {
            throw GridException.invalidArgument("ttl " + ttlMs + " ms exceeds limit " + MAX_TTL_MS + " ms");
        }
    }

    public void checkEntry(int keyLength, int valueLength, long ttlMs) {
        checkKey(keyLength);
        checkValue(valueLength);
        checkTtl(ttlMs);
    }
}
