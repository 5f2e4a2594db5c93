package io.shardgrid.server.store;

import static io.shardgrid.server.store.SnapshotDescriptor.END_MARKER;
import static io.shardgrid.server.store.SnapshotDescriptor.FORMAT_VERSION;
import static io.shardgrid.server.store.SnapshotDescriptor.HEADER_LENGTH;
import static io.shardgrid.server.store.SnapshotDescriptor.MAGIC;
import static io.shardgrid.server.store.SnapshotDescriptor.RECORD_HEADER_LENGTH;
import static io.shardgrid.server.store.SnapshotDescriptor.STAGING_BYTES;

import io.shardgrid.common.limits.Limits;
import io.shardgrid.server.core.ports.PartitionStore;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Loads a snapshot written by {@link StoreSnapshotWriter} into a store, replacing its contents.
 * Reads through one fixed staging buffer plus a record buffer that grows to the largest record (a
 * key and a value within {@link Limits} ceilings), so memory use does not grow with the partition.
 * A corrupt or truncated stream fails with an {@link IOException} and leaves the store empty.
 * Runs on the store's writer thread; reusable, not thread-safe.
 */
public final class StoreSnapshotReader {
    private final byte[] staging = new byte[STAGING_BYTES];
    private final CRC32C crc = new CRC32C();
    private UnsafeBuffer record = new UnsafeBuffer(new byte[4096]);
    private InputStream in;
    private int position;
    private int limit;

    /** Clears {@code store}, loads the snapshot and returns the number of entries loaded. */
    public long read(InputStream in, PartitionStore store) throws IOException {
        store.clear();
        this.in = in;
        crc.reset();
        position = 0;
        limit = 0;
        try {
            return load(store);
        } catch (IOException | RuntimeException e) {
            store.clear();
            throw e instanceof IOException io ? io : new IOException("snapshot is corrupt: " + e.getMessage(), e);
        } finally {
            this.in = null;
        }
    }

    private long load(PartitionStore store) throws IOException {
        readFully(HEADER_LENGTH);
        final int magic = record.getInt(0, ByteOrder.LITTLE_ENDIAN);
        if (magic != MAGIC) {
            throw corrupt("bad magic 0x" + Integer.toHexString(magic));
        }
        final int version = record.getInt(4, ByteOrder.LITTLE_ENDIAN);
        if (version != FORMAT_VERSION) {
            throw corrupt("unsupported format version " + version);
        }
        final int partitionId = record.getInt(8, ByteOrder.LITTLE_ENDIAN);
        if (partitionId != store.partitionId()) {
            throw corrupt("snapshot of partition " + partitionId + " offered to partition " + store.partitionId());
        }
        long loaded = 0;
        while (true) {
            readFully(Integer.BYTES);
            final int keyLength = record.getInt(0, ByteOrder.LITTLE_ENDIAN);
            if (keyLength == END_MARKER) {
                break;
            }
            readFully(RECORD_HEADER_LENGTH - Integer.BYTES);
            final int valueLength = record.getInt(0, ByteOrder.LITTLE_ENDIAN);
            final long expireAtMs = record.getLong(4, ByteOrder.LITTLE_ENDIAN);
            if (keyLength < 1 || keyLength > Limits.KEY_BYTES_CEILING) {
                throw corrupt("record " + loaded + " has key length " + keyLength);
            }
            if (valueLength < 0 || valueLength > Limits.VALUE_BYTES_CEILING) {
                throw corrupt("record " + loaded + " has value length " + valueLength);
            }
            if (expireAtMs < 0) {
                throw corrupt("record " + loaded + " has deadline " + expireAtMs);
            }
            readFully(keyLength + valueLength);
            if (store.set(record, 0, keyLength, record, keyLength, valueLength, expireAtMs, 0) == PartitionStore.FULL) {
                throw new IOException("snapshot of partition " + partitionId + " does not fit the memory budget after "
                    + loaded + " records");
            }
            loaded++;
        }
        readFully(Long.BYTES);
        final long count = record.getLong(0, ByteOrder.LITTLE_ENDIAN);
        if (count != loaded) {
            throw corrupt("trailer counts " + count + " records but " + loaded + " were read");
        }
        final int expected = (int) crc.getValue();
        readFully(Integer.BYTES);
        final int actual = record.getInt(0, ByteOrder.LITTLE_ENDIAN);
        if (actual != expected) {
            throw corrupt("checksum 0x" + Integer.toHexString(actual) + " does not match computed 0x"
                + Integer.toHexString(expected));
        }
        return loaded;
    }

    /** Reads exactly {@code length} bytes into the start of the record buffer, through the checksum. */
    private void readFully(int length) throws IOException {
        if (record.capacity() < length) {
            record = new UnsafeBuffer(new byte[Math.max(length, record.capacity() * 2)]);
        }
        final byte[] target = record.byteArray();
        int copied = 0;
        while (copied < length) {
            if (position == limit) {
                final int read = in.read(staging, 0, STAGING_BYTES);
                if (read < 0) {
                    throw new EOFException("snapshot is truncated: stream ended " + (length - copied)
                        + " bytes short of a " + length + "-byte field");
                }
                position = 0;
                limit = read;
            }
            final int chunk = Math.min(length - copied, limit - position);
            System.arraycopy(staging, position, target, copied, chunk);
            crc.update(staging, position, chunk);
            position += chunk;
            copied += chunk;
        }
    }

    private static IOException corrupt(String detail) {
        return new IOException("snapshot is corrupt: " + detail);
    }
}
