package io.shardgrid.server.store;

import net.openhft.hashing.LongHashFunction;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;

/** xxh3 over a buffer region (the same function that routes keys to partitions), allocation free. */
final class KeyHashing {
    private static final LongHashFunction XX3 = LongHashFunction.xx3();

    private KeyHashing() {
    }

    static long hash(DirectBuffer buffer, int offset, int length) {
        final byte[] array = buffer.byteArray();
        if (array != null) {
            final int arrayOffset = (int) (buffer.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET);
            return XX3.hashBytes(array, arrayOffset + offset, length);
        }
        return XX3.hashMemory(buffer.addressOffset() + offset, length);
    }

    /** Whether two regions of the same length hold the same bytes. */
    static boolean equal(DirectBuffer a, int aOffset, DirectBuffer b, int bOffset, int length) {
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            if (a.getLong(aOffset + i) != b.getLong(bOffset + i)) {
                return false;
            }
        }
        for (; i < length; i++) {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i)) {
                return false;
            }
        }
        return true;
    }
}
