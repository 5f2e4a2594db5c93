package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_FLAGS_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_TYPE_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_VALUE_LENGTH_OFFSET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.VERSION_OFFSET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class LogEntryFlyweightTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final UnsafeBuffer K = new UnsafeBuffer(new byte[] {'k'});
    private static final UnsafeBuffer V = new UnsafeBuffer(new byte[] {'v'});

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, 0);
    private final LogEntryFlyweight entry = new LogEntryFlyweight();

    @Test
    void rejectsAnUnsupportedVersion() {
        encoder.reset(T0).appendDelete(K, 0, 1);
        buffer.putByte(VERSION_OFFSET, (byte) 2);

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength()))
            .isInstanceOf(MalformedLogEntryException.class).hasMessage("entry version 2 is not supported, expected 1");
    }

    @Test
    void rejectsAnEntryShorterThanItsHeader() {
        assertThatThrownBy(() -> entry.wrap(new UnsafeBuffer(new byte[HEADER_LENGTH - 1]), 0, HEADER_LENGTH - 1))
            .isInstanceOf(MalformedLogEntryException.class).hasMessageContaining("entry length 11 is shorter");
    }

    @Test
    void rejectsAnUnknownOpType() {
        encoder.reset(T0).appendDelete(K, 0, 1);
        buffer.putByte(HEADER_LENGTH + OP_TYPE_OFFSET, (byte) 9);

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength()))
            .isInstanceOf(MalformedLogEntryException.class).hasMessage("op 0 at entry offset 12: type 9 is unknown");
    }

    @Test
    void rejectsFlagsTheTypeDoesNotDefine() {
        encoder.reset(T0).appendSet(K, 0, 1, V, 0, 1, 0);
        buffer.putByte(HEADER_LENGTH + OP_FLAGS_OFFSET, (byte) 1);

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength()))
            .isInstanceOf(MalformedLogEntryException.class).hasMessageContaining("flags 0x1 are not valid for SET");
    }

    @Test
    void rejectsAHugeValueLengthWithoutOverflowingIntoAPlausibleOffset() {
        encoder.reset(T0).appendSet(K, 0, 1, V, 0, 1, 0);
        buffer.putInt(HEADER_LENGTH + OP_VALUE_LENGTH_OFFSET, Integer.MAX_VALUE, ByteOrder.LITTLE_ENDIAN);

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength()))
            .isInstanceOf(MalformedLogEntryException.class).hasMessageContaining("runs past the end");
    }

    @Test
    void rejectsBytesAfterTheLastOp() {
        encoder.reset(T0).appendDelete(K, 0, 1);

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength() + 3))
            .isInstanceOf(MalformedLogEntryException.class).hasMessage("entry has 3 trailing bytes after its 1 ops");
    }

    @Test
    void rejectsARangeOutsideTheBufferAsACallerBug() {
        UnsafeBuffer small = new UnsafeBuffer(new byte[20]);

        assertThatThrownBy(() -> entry.wrap(small, 10, 11))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside buffer capacity 20");
        assertThatThrownBy(() -> entry.wrap(small, -1, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailedWrapLeavesNoOpsFromThePreviousEntry() {
        encoder.reset(T0).appendDelete(K, 0, 1);
        entry.wrap(buffer, 0, encoder.encodedLength());

        assertThatThrownBy(() -> entry.wrap(buffer, 0, encoder.encodedLength() - 1))
            .isInstanceOf(MalformedLogEntryException.class);
        assertThat(entry.opCount()).isZero();
        assertThat(entry.ops().next()).isFalse();
    }

    @Test
    void independentCursorsWalkTheSameEntrySeparately() {
        encoder.reset(T0).appendDelete(K, 0, 1).appendEvict(K, 0, 1);
        entry.wrap(buffer, 0, encoder.encodedLength());
        LogOpFlyweight first = entry.ops();
        LogOpFlyweight second = new LogOpFlyweight().wrap(entry);

        assertThat(first.next()).isTrue();
        assertThat(first.next()).isTrue();
        assertThat(second.next()).isTrue();

        assertThat(first.index()).isEqualTo(1);
        assertThat(first.type()).isEqualTo(LogEntryDescriptor.EVICT);
        assertThat(second.index()).isZero();
        assertThat(second.type()).isEqualTo(LogEntryDescriptor.DELETE);
        assertThat(first.next()).isFalse();
    }
}
