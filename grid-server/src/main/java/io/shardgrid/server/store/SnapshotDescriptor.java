package io.shardgrid.server.store;

/**
 * Layout of a partition snapshot stream; every number is little-endian.
 *
 * <pre>
 *  header   | magic int "SGPS" | format version int | partition id int | reserved int (0) |
 *  record*  | key length int (1..65535) | value length int | expire at ms long | key | value |
 *  end      | 0 int (end marker) | record count long |
 *  trailer  | CRC32C int over every byte before it |
 * </pre>
 *
 * A reader rejects a wrong magic, version or partition, a length out of range, a count or checksum
 * that does not match, and a stream that ends early.
 */
final class SnapshotDescriptor {
    static final int MAGIC = 0x5350_4753;
    static final int FORMAT_VERSION = 1;
    static final int HEADER_LENGTH = 16;
    static final int RECORD_HEADER_LENGTH = 16;
    static final int END_MARKER = 0;
    static final int END_LENGTH = 12;
    static final int TRAILER_LENGTH = 4;
    /** Size of the fixed staging buffer used to stream a snapshot in either direction. */
    static final int STAGING_BYTES = 64 * 1024;

    private SnapshotDescriptor() {
    }
}
