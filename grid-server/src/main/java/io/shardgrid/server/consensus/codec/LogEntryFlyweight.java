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
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_LEADER_TIME_MS;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_COUNT_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_EXPIRE_AT_MS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_FLAGS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_KEY_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_TYPE_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_VALUE_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.VERSION;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.VERSION_OFFSET;

import org.agrona.DirectBuffer;

/**
 * Read-only view of one log entry ({@link LogEntryDescriptor}) in place, without parsing it into
 * objects; iterate its ops with {@link #ops()}.
 *
 * <p>{@link #wrap} checks the whole entry before it returns: version, every op's type, flags and
 * lengths, and that the ops end exactly where the entry does. So a malformed or truncated entry
 * fails with {@link MalformedLogEntryException} before the state machine applies any op of it, no
 * read ever goes past {@code offset + length}, and the op cursor can then read without checks.
 *
 * <p>Hot path: wrapping and iterating allocate nothing; keep one flyweight per apply thread.
 * Not thread-safe.
 */
public final class LogEntryFlyweight {
    private final LogOpFlyweight ops = new LogOpFlyweight();
    private DirectBuffer buffer;
    private int offset;
    private int length;
    private int opCount;
    private long leaderTimeMs;

    /**
     * Views the entry in {@code buffer[offset, offset + length)}.
     *
     * @throws IllegalArgumentException   if the range lies outside the buffer (a caller bug)
     * @throws MalformedLogEntryException if the bytes are not a well-formed entry of this version;
     *                                    the flyweight is then empty (no ops)
     */
    public LogEntryFlyweight wrap(DirectBuffer buffer, int offset, int length) {
        this.buffer = null;
        this.offset = 0;
        this.length = 0;
        this.opCount = 0;
        this.leaderTimeMs = 0;
        if (offset < 0 || length < 0 || (long) offset + length > buffer.capacity()) {
            throw new IllegalArgumentException("entry range offset " + offset + " length " + length
                + " lies outside buffer capacity " + buffer.capacity());
        }
        if (length < HEADER_LENGTH) {
            throw new MalformedLogEntryException(
                "entry length " + length + " is shorter than the " + HEADER_LENGTH + "-byte header");
        }
        final int version = buffer.getByte(offset + VERSION_OFFSET) & 0xFF;
        if (version != VERSION) {
            throw new MalformedLogEntryException("entry version " + version + " is not supported, expected " + VERSION);
        }
        final long leaderTimeMs = buffer.getLong(offset + LEADER_TIME_MS_OFFSET, BYTE_ORDER);
        if (leaderTimeMs < 0 || leaderTimeMs > MAX_LEADER_TIME_MS) {
            throw new MalformedLogEntryException("entry leader time " + leaderTimeMs + " ms is out of range");
        }
        final int opCount = buffer.getShort(offset + OP_COUNT_OFFSET, BYTE_ORDER) & 0xFFFF;
        validateOps(buffer, offset, length, opCount);

        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.opCount = opCount;
        this.leaderTimeMs = leaderTimeMs;
        return this;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    /** The leader's clock when it closed the batch: every replica's "now" for this entry. */
    public long leaderTimeMs() {
        return leaderTimeMs;
    }

    public int opCount() {
        return opCount;
    }

    /**
     * This flyweight's own op cursor, rewound to before the first op: {@code while (op.next())}.
     * For a second, independent cursor use {@code new LogOpFlyweight().wrap(entry)}.
     */
    public LogOpFlyweight ops() {
        return ops.wrap(this);
    }

    private static void validateOps(DirectBuffer buffer, int offset, int length, int opCount) {
        final int end = offset + length;
        int at = offset + HEADER_LENGTH;
        for (int i = 0; i < opCount; i++) {
            if (end - at < OP_HEADER_LENGTH) {
                throw malformed(i, at, offset, "header needs " + OP_HEADER_LENGTH + " bytes, " + (end - at) + " remain");
            }
            final int type = buffer.getByte(at + OP_TYPE_OFFSET) & 0xFF;
            final int flags = buffer.getByte(at + OP_FLAGS_OFFSET) & 0xFF;
            final int keyLength = buffer.getShort(at + OP_KEY_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF;
            final int valueLength = buffer.getInt(at + OP_VALUE_LENGTH_OFFSET, BYTE_ORDER);
            final long expireAtMs = buffer.getLong(at + OP_EXPIRE_AT_MS_OFFSET, BYTE_ORDER);
            if (keyLength == 0) {
                throw malformed(i, at, offset, "key is empty");
            }
            if (valueLength < 0) {
                throw malformed(i, at, offset, "value length " + valueLength + " is negative");
            }
            if (expireAtMs < 0) {
                throw malformed(i, at, offset, "expireAtMs " + expireAtMs + " is negative");
            }
            final int allowedFlags = type == COMPARE_AND_SET ? FLAG_EXPECT_ABSENT : 0;
            if ((flags & ~allowedFlags) != 0) {
                throw malformed(i, at, offset, "flags 0x" + Integer.toHexString(flags) + " are not valid for "
                    + LogEntryDescriptor.typeName(type));
            }
            final boolean keyOnly = type == DELETE || type == EVICT || type == EXPIRE;
            if ((keyOnly || type == INCREMENT) && valueLength != 0) {
                throw malformed(i, at, offset, LogEntryDescriptor.typeName(type) + " carries value length " + valueLength);
            }
            if (keyOnly && expireAtMs != 0) {
                throw malformed(i, at, offset, LogEntryDescriptor.typeName(type) + " carries expireAtMs " + expireAtMs);
            }
            // Long arithmetic: a corrupt length must not wrap around into a plausible offset.
            long opEnd = (long) at + OP_HEADER_LENGTH + keyLength + valueLength;
            switch (type) {
                case SET, DELETE, EVICT, EXPIRE -> {
                }
                case INCREMENT -> opEnd += DELTA_FIELD_LENGTH;
                case COMPARE_AND_SET -> {
                    if (opEnd + EXPECTED_LENGTH_FIELD_LENGTH > end) {
                        throw malformed(i, at, offset, "runs past the end of the entry at " + (end - offset));
                    }
                    final int expectedLength = buffer.getInt((int) opEnd, BYTE_ORDER);
                    if (expectedLength < 0) {
                        throw malformed(i, at, offset, "expected length " + expectedLength + " is negative");
                    }
                    if ((flags & FLAG_EXPECT_ABSENT) != 0 && expectedLength != 0) {
                        throw malformed(i, at, offset, "expects absent but carries expected length " + expectedLength);
                    }
                    opEnd += EXPECTED_LENGTH_FIELD_LENGTH + expectedLength;
                }
                default -> throw malformed(i, at, offset, "type " + type + " is unknown");
            }
            if (opEnd > end) {
                throw malformed(i, at, offset, "runs past the end of the entry at " + (end - offset));
            }
            at = (int) opEnd;
        }
        if (at != end) {
            throw new MalformedLogEntryException(
                "entry has " + (end - at) + " trailing bytes after its " + opCount + " ops");
        }
    }

    private static MalformedLogEntryException malformed(int opIndex, int at, int entryOffset, String problem) {
        return new MalformedLogEntryException("op " + opIndex + " at entry offset " + (at - entryOffset) + ": " + problem);
    }
}
