package io.shardgrid.bench.floor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The payload the floor writes: an op count and that many ops shaped like a Shardgrid write.
 *
 * <pre>
 * op:  0        10          26            126
 *      +--------+-----------+-------------+
 *      | header | key (16)  | value (100) |   header: type, flags, key length, value length, ttl
 *      +--------+-----------+-------------+
 * </pre>
 *
 * A 1-op entry is {@value #COUNT_BYTES} + {@value #OP_BYTES} bytes; a 64-op entry ~8 KB.
 */
final class FloorEntry {
    static final int COUNT_BYTES = Integer.BYTES;
    static final int HEADER_BYTES = 10;
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;
    static final int OP_BYTES = HEADER_BYTES + KEY_BYTES + VALUE_BYTES;
    static final int MAX_OPS = 65_535;

    private FloorEntry() {
    }

    /** One immutable message with {@code ops} ops; the writers resend it (the state machine only counts). */
    static Message message(int ops, long seed) {
        if (ops < 1 || ops > MAX_OPS) {
            throw new IllegalArgumentException("ops per entry " + ops + " must be in [1, " + MAX_OPS + "]");
        }
        ByteBuffer b = ByteBuffer.allocate(bytes(ops)).order(ByteOrder.BIG_ENDIAN);
        b.putInt(ops);
        long x = seed;
        for (int i = 0; i < ops; i++) {
            b.put((byte) 1).put((byte) 0).putShort((short) KEY_BYTES).putInt(VALUE_BYTES).putShort((short) 0);
            for (int k = 0; k < KEY_BYTES + VALUE_BYTES; k += Long.BYTES) {
                x = x * 6364136223846793005L + 1442695040888963407L;
                int n = Math.min(Long.BYTES, KEY_BYTES + VALUE_BYTES - k);
                for (int j = 0; j < n; j++) {
                    b.put((byte) (x >>> (8 * j)));
                }
            }
        }
        b.flip();
        return Message.valueOf(ByteString.copyFrom(b));
    }

    static int bytes(int ops) {
        return COUNT_BYTES + ops * OP_BYTES;
    }

    /** The count in a reply, or -1 when the reply is too short to hold one. */
    static int replyCount(Message reply) {
        ByteString content = reply == null ? null : reply.getContent();
        return content == null || content.size() < COUNT_BYTES ? -1 : content.asReadOnlyByteBuffer().getInt(0);
    }
}
