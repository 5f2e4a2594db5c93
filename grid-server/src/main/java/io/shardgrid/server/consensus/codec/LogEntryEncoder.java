package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.BYTE_ORDER;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.COMPARE_AND_SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELETE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELTA_FIELD_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EVICT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EXPECTED_LENGTH_FIELD_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EXPIRE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.FLAG_EXPECT_ABSENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.INCREMENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.LEADER_TIME_MS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_ENTRY_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_KEY_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_LEADER_TIME_MS;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_OP_COUNT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_VALUE_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_COUNT_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_EXPIRE_AT_MS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_FLAGS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_KEY_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_TYPE_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_VALUE_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.RESERVED_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.VERSION;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.VERSION_OFFSET;

import io.shardgrid.common.limits.Limits;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Writes one log entry ({@link LogEntryDescriptor}) into a caller-owned buffer: the leader's
 * group-commit batcher calls {@link #reset} when it opens a batch and one {@code append*} per
 * queued write, then hands {@code [offset, offset + encodedLength())} to raft.
 *
 * <p>Hot path: nothing here allocates per op (no boxing, no lambdas, no temporary arrays), so one
 * encoder and one {@link org.agrona.ExpandableArrayBuffer} per partition serve every batch. Only
 * growing an expandable buffer allocates, and that stops once it has reached the batch size.
 *
 * <p>Every {@code append*} validates all of its arguments before it writes a byte, so a rejected
 * op (an {@link IllegalArgumentException} naming the bad value) leaves the entry as it was. TTLs
 * become absolute deadlines here, against the entry's {@code leaderTimeMs}: a TTL of 0 means never.
 * The batcher bounds a batch by bytes with {@link #encodedOpLength} before appending.
 *
 * <p>Not thread-safe; one writer per encoder.
 */
public final class LogEntryEncoder {
    private MutableDirectBuffer buffer;
    private int offset;
    private int encodedLength;
    private int opCount;
    private long leaderTimeMs;

    /** Targets {@code buffer} at {@code offset}; call {@link #reset} before appending. */
    public LogEntryEncoder wrap(MutableDirectBuffer buffer, int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " must not be negative");
        }
        this.buffer = buffer;
        this.offset = offset;
        this.encodedLength = 0;
        this.opCount = 0;
        return this;
    }

    /** Starts a new, empty entry stamped with the leader's clock. */
    public LogEntryEncoder reset(long leaderTimeMs) {
        if (buffer == null) {
            throw new IllegalStateException("wrap(buffer, offset) must precede reset");
        }
        if (leaderTimeMs < 0 || leaderTimeMs > MAX_LEADER_TIME_MS) {
            throw new IllegalArgumentException(
                "leader time " + leaderTimeMs + " ms must be in [0, " + MAX_LEADER_TIME_MS + "]");
        }
        encodedLength = 0;
        opCount = 0;
        ensureRoom(HEADER_LENGTH, 0);
        buffer.putByte(offset + VERSION_OFFSET, (byte) VERSION);
        buffer.putByte(offset + RESERVED_OFFSET, (byte) 0);
        buffer.putShort(offset + OP_COUNT_OFFSET, (short) 0, BYTE_ORDER);
        buffer.putLong(offset + LEADER_TIME_MS_OFFSET, leaderTimeMs, BYTE_ORDER);
        this.leaderTimeMs = leaderTimeMs;
        encodedLength = HEADER_LENGTH;
        return this;
    }

    /** Inserts or replaces {@code key}; expires {@code ttlMs} after the entry's leader time, 0 = never. */
    public LogEntryEncoder appendSet(DirectBuffer key, int keyOffset, int keyLength,
                                     DirectBuffer value, int valueOffset, int valueLength, long ttlMs) {
        final int opLength = encodedOpLength(SET, keyLength, valueLength, 0);
        final long expireAtMs = expireAtMs(ttlMs);
        ensureRoom(opLength, 1);
        final int valueAt = putOpHeaderAndKey(SET, 0, key, keyOffset, keyLength, valueLength, expireAtMs);
        buffer.putBytes(valueAt, value, valueOffset, valueLength);
        return commitOp(opLength);
    }

    /** Removes {@code key} if live. */
    public LogEntryEncoder appendDelete(DirectBuffer key, int keyOffset, int keyLength) {
        return appendKeyOnly(DELETE, key, keyOffset, keyLength);
    }

    /**
     * Replaces {@code key}'s value with {@code value} only if it currently equals {@code expected},
     * or, with {@code expectAbsent}, only if it is absent (then {@code expectedLength} must be 0 and
     * {@code expected} may be null). The new value expires {@code ttlMs} after the entry's leader time.
     */
    public LogEntryEncoder appendCompareAndSet(DirectBuffer key, int keyOffset, int keyLength,
                                               boolean expectAbsent,
                                               DirectBuffer expected, int expectedOffset, int expectedLength,
                                               DirectBuffer value, int valueOffset, int valueLength, long ttlMs) {
        final int opLength = encodedOpLength(COMPARE_AND_SET, keyLength, valueLength, expectedLength);
        if (expectAbsent && expectedLength != 0) {
            throw new IllegalArgumentException(
                "expected length " + expectedLength + " must be 0 when the key is expected to be absent");
        }
        final long expireAtMs = expireAtMs(ttlMs);
        ensureRoom(opLength, 1);
        final int flags = expectAbsent ? FLAG_EXPECT_ABSENT : 0;
        final int valueAt = putOpHeaderAndKey(COMPARE_AND_SET, flags, key, keyOffset, keyLength, valueLength, expireAtMs);
        buffer.putBytes(valueAt, value, valueOffset, valueLength);
        final int expectedLengthAt = valueAt + valueLength;
        buffer.putInt(expectedLengthAt, expectedLength, BYTE_ORDER);
        if (expectedLength > 0) {
            buffer.putBytes(expectedLengthAt + EXPECTED_LENGTH_FIELD_LENGTH, expected, expectedOffset, expectedLength);
        }
        return commitOp(opLength);
    }

    /**
     * Adds {@code delta} to the integer at {@code key}; if the increment creates the key, it expires
     * {@code ttlMs} after the entry's leader time (0 = never).
     */
    public LogEntryEncoder appendIncrement(DirectBuffer key, int keyOffset, int keyLength, long delta, long ttlMs) {
        final int opLength = encodedOpLength(INCREMENT, keyLength, 0, 0);
        final long expireAtMs = expireAtMs(ttlMs);
        ensureRoom(opLength, 1);
        final int deltaAt = putOpHeaderAndKey(INCREMENT, 0, key, keyOffset, keyLength, 0, expireAtMs);
        buffer.putLong(deltaAt, delta, BYTE_ORDER);
        return commitOp(opLength);
    }

    /** Removes {@code key} because the leader decided to free memory; replicated like any write. */
    public LogEntryEncoder appendEvict(DirectBuffer key, int keyOffset, int keyLength) {
        return appendKeyOnly(EVICT, key, keyOffset, keyLength);
    }

    /** Removes {@code key} if it has expired by the entry's leader time: the leader's replicated expiry. */
    public LogEntryEncoder appendExpire(DirectBuffer key, int keyOffset, int keyLength) {
        return appendKeyOnly(EXPIRE, key, keyOffset, keyLength);
    }

    /**
     * The bytes an op adds to an entry, so a batcher can bound a batch by bytes before appending.
     * {@code valueLength} counts for SET and COMPARE_AND_SET, {@code expectedLength} for
     * COMPARE_AND_SET only; other types ignore them.
     *
     * @throws IllegalArgumentException naming the value, for an unknown type or a length the
     *                                  format cannot carry (the same check {@code append*} makes)
     */
    public static int encodedOpLength(int type, int keyLength, int valueLength, int expectedLength) {
        checkLength("key", keyLength, 1, MAX_KEY_LENGTH);
        final int base = OP_HEADER_LENGTH + keyLength;
        return switch (type) {
            case SET -> base + checkLength("value", valueLength, 0, MAX_VALUE_LENGTH);
            case DELETE, EVICT, EXPIRE -> base;
            case COMPARE_AND_SET -> base + checkLength("value", valueLength, 0, MAX_VALUE_LENGTH)
                + EXPECTED_LENGTH_FIELD_LENGTH + checkLength("expected", expectedLength, 0, MAX_VALUE_LENGTH);
            case INCREMENT -> base + DELTA_FIELD_LENGTH;
            default -> throw new IllegalArgumentException("op type " + type + " is not a known type");
        };
    }

    public MutableDirectBuffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    /** Bytes written from {@link #offset()}: header plus ops; 0 before {@link #reset}. */
    public int encodedLength() {
        return encodedLength;
    }

    public int opCount() {
        return opCount;
    }

    public long leaderTimeMs() {
        return leaderTimeMs;
    }

    private LogEntryEncoder appendKeyOnly(int type, DirectBuffer key, int keyOffset, int keyLength) {
        final int opLength = encodedOpLength(type, keyLength, 0, 0);
        ensureRoom(opLength, 1);
        putOpHeaderAndKey(type, 0, key, keyOffset, keyLength, 0, 0);
        return commitOp(opLength);
    }

    private long expireAtMs(long ttlMs) {
        if (ttlMs < 0 || ttlMs > Limits.MAX_TTL_MS) {
            throw new IllegalArgumentException("ttl " + ttlMs + " ms must be in [0, " + Limits.MAX_TTL_MS + "]");
        }
        return ttlMs == 0 ? 0 : leaderTimeMs + ttlMs;
    }

    private void ensureRoom(int bytes, int ops) {
        if (ops > 0 && encodedLength == 0) {
            throw new IllegalStateException("reset(leaderTimeMs) must precede append");
        }
        if (opCount + ops > MAX_OP_COUNT) {
            throw new IllegalArgumentException("op count " + (opCount + ops) + " exceeds limit " + MAX_OP_COUNT);
        }
        final long entryLength = (long) encodedLength + bytes;
        if (entryLength > MAX_ENTRY_LENGTH) {
            throw new IllegalArgumentException("entry length " + entryLength + " exceeds limit " + MAX_ENTRY_LENGTH);
        }
        if (!buffer.isExpandable() && offset + entryLength > buffer.capacity()) {
            throw new IllegalArgumentException(
                "entry needs " + (offset + entryLength) + " bytes but the buffer holds " + buffer.capacity());
        }
    }

    /** Writes the op header and key at the end of the entry; returns where the value goes. */
    private int putOpHeaderAndKey(int type, int flags, DirectBuffer key, int keyOffset, int keyLength,
                                  int valueLength, long expireAtMs) {
        final int at = offset + encodedLength;
        buffer.putByte(at + OP_TYPE_OFFSET, (byte) type);
        buffer.putByte(at + OP_FLAGS_OFFSET, (byte) flags);
        buffer.putShort(at + OP_KEY_LENGTH_OFFSET, (short) keyLength, BYTE_ORDER);
        buffer.putInt(at + OP_VALUE_LENGTH_OFFSET, valueLength, BYTE_ORDER);
        buffer.putLong(at + OP_EXPIRE_AT_MS_OFFSET, expireAtMs, BYTE_ORDER);
        buffer.putBytes(at + OP_HEADER_LENGTH, key, keyOffset, keyLength);
        return at + OP_HEADER_LENGTH + keyLength;
    }

    private LogEntryEncoder commitOp(int opLength) {
        encodedLength += opLength;
        opCount++;
        buffer.putShort(offset + OP_COUNT_OFFSET, (short) opCount, BYTE_ORDER);
        return this;
    }

    private static int checkLength(String what, int length, int min, int max) {
        if (length < min || length > max) {
            throw new IllegalArgumentException(what + " length " + length + " must be in [" + min + ", " + max + "]");
        }
        return length;
    }
}
