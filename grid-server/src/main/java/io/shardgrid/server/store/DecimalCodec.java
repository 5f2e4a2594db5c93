package io.shardgrid.server.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Signed 64-bit decimals in ASCII with Redis's rules: optional '-', no '+', no leading zeros, no
 * spaces, "-0" rejected, at most 20 characters, no overflow. Not thread-safe; one per writer.
 */
final class DecimalCodec {
    static final int MAX_LENGTH = 20;

    private long value;

    /** Parses the region; on true the number is {@link #value()}. */
    boolean parse(DirectBuffer buffer, int offset, int length) {
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        if (length == 1 && buffer.getByte(offset) == '0') {
            value = 0;
            return true;
        }
        int i = 0;
        final boolean negative = buffer.getByte(offset) == '-';
        if (negative) {
            i++;
            if (length == 1) {
                return false;
            }
        }
        final byte first = buffer.getByte(offset + i);
        if (first < '1' || first > '9') {
            return false;
        }
        // accumulate as a negative number: its range is one larger, which fits Long.MIN_VALUE
        long result = 0;
        for (; i < length; i++) {
            final int digit = buffer.getByte(offset + i) - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            if (result < Long.MIN_VALUE / 10 || result * 10 < Long.MIN_VALUE + digit) {
                return false;
            }
            result = result * 10 - digit;
        }
        if (!negative) {
            if (result == Long.MIN_VALUE) {
                return false;
            }
            result = -result;
        }
        value = result;
        return true;
    }

    long value() {
        return value;
    }

    /** Writes {@code number} at {@code offset} and returns the number of bytes written. */
    static int format(long number, MutableDirectBuffer buffer, int offset) {
        int length = number < 0 ? 1 : 0;
        long remaining = number;
        do {
            length++;
            remaining /= 10;
        } while (remaining != 0);
        if (number < 0) {
            buffer.putByte(offset, (byte) '-');
        }
        remaining = number;
        for (int i = offset + length - 1; ; i--) {
            buffer.putByte(i, (byte) ('0' + Math.abs((int) (remaining % 10))));
            remaining /= 10;
            if (remaining == 0) {
                break;
            }
        }
        return length;
    }
}
