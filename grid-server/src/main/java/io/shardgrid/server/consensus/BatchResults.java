package io.shardgrid.server.consensus;

import io.shardgrid.server.consensus.codec.LogEntryApplier;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * The per-op outcomes of one applied entry, as the leader's state machine returns them to the
 * batcher that submitted the entry.
 *
 * <pre>
 * | opCount u16 | op 0: status u8 | value i64 | op 1: … |
 * </pre>
 */
final class BatchResults implements LogEntryApplier.ResultHandler {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int HEADER = 2;
    static final int PER_OP = 9;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);
    private int opCount;

    BatchResults reset() {
        opCount = 0;
        return this;
    }

    @Override
    public void onResult(int opIndex, int status, long value) {
        int at = HEADER + opIndex * PER_OP;
        buffer.putByte(at, (byte) status);
        buffer.putLong(at + 1, value, ORDER);
        opCount = Math.max(opCount, opIndex + 1);
    }

    /** The encoded results; copy them out before the next {@link #reset()}. */
    ExpandableArrayBuffer encoded() {
        buffer.putShort(0, (short) opCount, ORDER);
        return buffer;
    }

    int encodedLength() {
        return HEADER + opCount * PER_OP;
    }

    static int opCount(DirectBuffer results) {
        return results.capacity() < HEADER ? 0 : results.getShort(0, ORDER) & 0xFFFF;
    }

    /** Decodes op {@code i}'s outcome in the shape the request path expects. */
    static WriteResult result(DirectBuffer results, int i, WriteCommand.Type type) {
        int at = HEADER + i * PER_OP;
        int status = results.getByte(at);
        long value = results.getLong(at + 1, ORDER);
        return switch (type) {
            case SET, COMPARE_AND_SET -> new WriteResult(status, status == PartitionStore.OK, 0);
            case DELETE, EVICT, EXPIRE -> new WriteResult(status, value == 1, 0);
            case INCREMENT -> new WriteResult(status, status == PartitionStore.OK, value);
        };
    }
}
