package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.BYTE_ORDER;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.COMPARE_AND_SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELTA_FIELD_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EXPECTED_LENGTH_FIELD_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.FLAG_EXPECT_ABSENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.INCREMENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_EXPIRE_AT_MS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_FLAGS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_KEY_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_TYPE_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_VALUE_LENGTH_OFFSET;

import org.agrona.DirectBuffer;

/**
 * Cursor over the ops of a wrapped {@link LogEntryFlyweight}:
 * <pre>{@code
 * LogOpFlyweight op = entry.ops();
 * while (op.next()) {
 *     store.set(op.buffer(), op.keyOffset(), op.keyLength(), op.buffer(), op.valueOffset(), op.valueLength(), ...);
 * }
 * }</pre>
 *
 * <p>Offsets are absolute positions in {@link #buffer()}, ready to pass as {@code (buffer, offset,
 * length)}. Reads are unchecked because {@link LogEntryFlyweight#wrap} has already validated every
 * op; accessors are meaningful only after {@link #next()} returned true. Allocates nothing.
 */
public final class LogOpFlyweight {
    private DirectBuffer buffer;
    private int opCount;
    private int index;
    private int opOffset;
    private int nextOffset;
    private int type;
    private int keyLength;
    private int valueLength;

    /** Rewinds to before the first op of {@code entry}, which must have been wrapped successfully. */
    public LogOpFlyweight wrap(LogEntryFlyweight entry) {
        buffer = entry.buffer();
        opCount = entry.opCount();
        index = -1;
        opOffset = -1;
        nextOffset = entry.offset() + HEADER_LENGTH;
        type = 0;
        keyLength = 0;
        valueLength = 0;
        return this;
    }

    /** Moves to the next op; false once every op has been visited. */
    public boolean next() {
        if (index + 1 >= opCount) {
            index = opCount;
            return false;
        }
        index++;
        opOffset = nextOffset;
        type = buffer.getByte(opOffset + OP_TYPE_OFFSET) & 0xFF;
        keyLength = buffer.getShort(opOffset + OP_KEY_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF;
        valueLength = buffer.getInt(opOffset + OP_VALUE_LENGTH_OFFSET, BYTE_ORDER);
        nextOffset = opOffset + encodedLength();
        return true;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    /** Position of the current op within its entry, from 0. */
    public int index() {
        return index;
    }

    /** Absolute offset of the current op's header in {@link #buffer()}. */
    public int offset() {
        return opOffset;
    }

    /** The current op's bytes, header and type-specific fields included. */
    public int encodedLength() {
        final int length = OP_HEADER_LENGTH + keyLength + valueLength;
        return switch (type) {
            case COMPARE_AND_SET -> length + EXPECTED_LENGTH_FIELD_LENGTH + expectedLength();
            case INCREMENT -> length + DELTA_FIELD_LENGTH;
            default -> length;
        };
    }

    /** One of the op type codes of {@link LogEntryDescriptor}. */
    public int type() {
        return type;
    }

    public int flags() {
        return buffer.getByte(opOffset + OP_FLAGS_OFFSET) & 0xFF;
    }

    public int keyOffset() {
        return opOffset + OP_HEADER_LENGTH;
    }

    public int keyLength() {
        return keyLength;
    }

    public int valueOffset() {
        return keyOffset() + keyLength;
    }

    /** The new value's length: 0 for DELETE, EVICT, EXPIRE and INCREMENT. */
    public int valueLength() {
        return valueLength;
    }

    /** Absolute deadline in leader time, 0 = never; for INCREMENT it applies only if the key is created. */
    public long expireAtMs() {
        return buffer.getLong(opOffset + OP_EXPIRE_AT_MS_OFFSET, BYTE_ORDER);
    }

    /** INCREMENT's delta; 0 for other types. */
    public long delta() {
        return type == INCREMENT ? buffer.getLong(valueOffset() + valueLength, BYTE_ORDER) : 0;
    }

    /** COMPARE_AND_SET: succeed only if the key is absent. */
    public boolean expectAbsent() {
        return (flags() & FLAG_EXPECT_ABSENT) != 0;
    }

    /** COMPARE_AND_SET's expected value; its length is 0 for other types and for expect-absent. */
    public int expectedOffset() {
        return valueOffset() + valueLength + (type == COMPARE_AND_SET ? EXPECTED_LENGTH_FIELD_LENGTH : 0);
    }

    public int expectedLength() {
        return type == COMPARE_AND_SET ? buffer.getInt(valueOffset() + valueLength, BYTE_ORDER) : 0;
    }
}
