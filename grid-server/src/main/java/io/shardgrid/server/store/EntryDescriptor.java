package io.shardgrid.server.store;

/**
 * Layout of one entry block in off-heap memory. All fields are little-endian (native order) and
 * every block starts 8-byte aligned, so the version and deadline can be accessed atomically.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Version (seqlock)                         |  0
 *  +-------------------------------+-------------------------------+
 *  |          Key Length           |          Size Class           |  4
 *  +-------------------------------+-------------------------------+
 *  |                        Value Length                           |  8
 *  +---------------------------------------------------------------+
 *  |         Access Stamp (LRU clock, 24 bits | LFU counter, 8)    | 12
 *  +---------------------------------------------------------------+
 *  |                 Expire At (ms, 0 = never)                     | 16
 *  |                 (next free block while free)                  |
 *  +---------------------------------------------------------------+
 *  |                         Key Bytes                            ...  24
 *  +---------------------------------------------------------------+
 *  |                        Value Bytes                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Version: even while the entry is live and stable, odd while the writer rewrites it or while
 * the block is free. Readers copy under the version and retry when it moved. The access stamp is
 * written racily by readers and is never covered by the version; the free-list link lives in the
 * deadline field, which readers never write.
 */
final class EntryDescriptor {
    static final int VERSION_OFFSET = 0;
    static final int KEY_LENGTH_OFFSET = 4;
    static final int SIZE_CLASS_OFFSET = 6;
    static final int VALUE_LENGTH_OFFSET = 8;
    static final int ACCESS_STAMP_OFFSET = 12;
    static final int EXPIRE_AT_OFFSET = 16;
    static final int NEXT_FREE_OFFSET = EXPIRE_AT_OFFSET;
    static final int KEY_OFFSET = 24;
    static final int HEADER_LENGTH = KEY_OFFSET;

    static final int MAX_KEY_LENGTH = 0xFFFF;

    private EntryDescriptor() {
    }

    /** Bytes an entry with these lengths occupies before rounding to its size class. */
    static long entryLength(int keyLength, int valueLength) {
        return (long) HEADER_LENGTH + keyLength + valueLength;
    }

    static int valueOffset(int keyLength) {
        return KEY_OFFSET + keyLength;
    }
}
