package io.shardgrid.server.consensus;

import io.shardgrid.common.routing.HashRange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The raft entry that splits a partition: at its log index every replica hands the upper half of
 * {@code parentRange} to partition {@code childId} and keeps the lower half (see
 * {@link PartitionSplitter}). Its first byte tells it from a batch entry, whose first byte is the
 * batch format version (1).
 *
 * <pre>
 * | marker u8 = 'S' | parent range bits u8 | reserved u16 | child id i32 | parent range prefix i64 |
 * </pre>
 * Little-endian, like batch entries.
 */
record SplitEntry(HashRange parentRange, int childId) {
    static final int MARKER = 'S';
    static final int LENGTH = 16;

    /** How a replica answered a split entry (the leader's answer is the caller's). */
    enum Outcome {
        /** The split happened at this entry. */
        SPLIT,
        /** An earlier entry did this split already (a resumed split): nothing changed. */
        ALREADY_SPLIT,
        /** The partition's range is neither the parent range nor its lower half: a stale request. */
        REFUSED
    }

    SplitEntry {
        if (!parentRange.canSplit()) {
            throw new IllegalArgumentException("range " + parentRange + " cannot be split");
        }
        if (childId < 0) {
            throw new IllegalArgumentException("child partition id " + childId + " is negative");
        }
    }

    static boolean isSplit(ByteString data) {
        return data.size() == LENGTH && (data.byteAt(0) & 0xFF) == MARKER;
    }

    Message toMessage() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) MARKER).put((byte) parentRange.bits()).putShort((short) 0).putInt(childId)
            .putLong(parentRange.prefix());
        return Message.valueOf(ByteString.copyFrom(b.array()));
    }

    /** @throws IllegalArgumentException if {@code data} is not a well-formed split entry */
    static SplitEntry parse(ByteString data) {
        if (!isSplit(data)) {
            throw new IllegalArgumentException("not a split entry (" + data.size() + " bytes)");
        }
        ByteBuffer b = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int bits = b.get(1) & 0xFF;
        int childId = b.getInt(4);
        long prefix = b.getLong(8);
        return new SplitEntry(new HashRange(bits, prefix), childId);
    }

    static Message reply(Outcome outcome, String detail) {
        return Message.valueOf(ByteString.copyFrom(outcome.ordinal() + ":" + detail, StandardCharsets.UTF_8));
    }

    static Outcome outcomeOf(Message reply) {
        String text = reply.getContent().toStringUtf8();
        int colon = text.indexOf(':');
        try {
            return Outcome.values()[Integer.parseInt(colon < 0 ? text : text.substring(0, colon))];
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a split reply: " + text, e);
        }
    }

    static String detailOf(Message reply) {
        String text = reply.getContent().toStringUtf8();
        int colon = text.indexOf(':');
        return colon < 0 ? "" : text.substring(colon + 1);
    }
}
