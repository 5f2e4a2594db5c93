package io.shardgrid.server.store;

import static io.shardgrid.server.store.SnapshotDescriptor.END_MARKER;
import static io.shardgrid.server.store.SnapshotDescriptor.FORMAT_VERSION;
import static io.shardgrid.server.store.SnapshotDescriptor.MAGIC;
import static io.shardgrid.server.store.SnapshotDescriptor.RECORD_HEADER_LENGTH;
import static io.shardgrid.server.store.SnapshotDescriptor.STAGING_BYTES;

import io.shardgrid.server.core.ports.EntryConsumer;
import io.shardgrid.server.core.ports.PartitionStore;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Streams the live entries of a store to an {@link OutputStream} in the {@link SnapshotDescriptor}
 * format through one fixed staging buffer, so memory use does not grow with the partition. Runs on
 * the store's writer thread; reusable, not thread-safe.
 */
public final class StoreSnapshotWriter {
    private final byte[] staging = new byte[STAGING_BYTES];
    private final UnsafeBuffer stagingBuffer = new UnsafeBuffer(staging);
    private final CRC32C crc = new CRC32C();
    private static final LongPredicate ALL_KEYS = hash -> true;

    private final EntryConsumer recordWriter = this::writeRecord;
    private OutputStream out;
    private LongPredicate keyHash = ALL_KEYS;
    private long written;
    private int position;

    /**
     * Writes every entry live at {@code nowMs} (0 includes expired ones) and returns how many were
     * written. The stream is flushed, not closed.
     */
    public long write(PartitionStore store, long nowMs, OutputStream out) throws IOException {
        return write(store, nowMs, out, ALL_KEYS, store.partitionId());
    }

    /**
     * Writes the entries live at {@code nowMs} whose key hash {@code keyHash} accepts, as a snapshot
     * of partition {@code asPartitionId} (a split's seed for its child), and returns how many.
     */
    public long write(PartitionStore store, long nowMs, OutputStream out, LongPredicate keyHash, int asPartitionId)
            throws IOException {
        this.out = out;
        this.keyHash = keyHash;
        this.written = 0;
        crc.reset();
        position = 0;
        try {
            putInt(MAGIC);
            putInt(FORMAT_VERSION);
            putInt(asPartitionId);
            putInt(0);
            try {
                store.forEachEntry(nowMs, recordWriter);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            final long count = written;
            putInt(END_MARKER);
            putLong(count);
            flush();
            final int checksum = (int) crc.getValue();
            stagingBuffer.putInt(0, checksum, ByteOrder.LITTLE_ENDIAN);
            out.write(staging, 0, Integer.BYTES);
            out.flush();
            return count;
        } finally {
            this.out = null;
            this.keyHash = ALL_KEYS;
        }
    }

    private void writeRecord(DirectBuffer buffer, int keyOffset, int keyLength, int valueOffset, int valueLength,
                             long expireAtMs) {
        if (keyHash != ALL_KEYS && !keyHash.test(KeyHashing.hash(buffer, keyOffset, keyLength))) {
            return;
        }
        written++;
        try {
            if (position + RECORD_HEADER_LENGTH > STAGING_BYTES) {
                flush();
            }
            putInt(keyLength);
            putInt(valueLength);
            putLong(expireAtMs);
            copy(buffer, keyOffset, keyLength);
            copy(buffer, valueOffset, valueLength);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void copy(DirectBuffer buffer, int offset, int length) throws IOException {
        int copied = 0;
        while (copied < length) {
            if (position == STAGING_BYTES) {
                flush();
            }
            final int chunk = Math.min(length - copied, STAGING_BYTES - position);
            buffer.getBytes(offset + copied, staging, position, chunk);
            position += chunk;
            copied += chunk;
        }
    }

    private void putInt(int value) throws IOException {
        if (position + Integer.BYTES > STAGING_BYTES) {
            flush();
        }
        stagingBuffer.putInt(position, value, ByteOrder.LITTLE_ENDIAN);
        position += Integer.BYTES;
    }

    private void putLong(long value) throws IOException {
        if (position + Long.BYTES > STAGING_BYTES) {
            flush();
        }
        stagingBuffer.putLong(position, value, ByteOrder.LITTLE_ENDIAN);
        position += Long.BYTES;
    }

    private void flush() throws IOException {
        crc.update(staging, 0, position);
        out.write(staging, 0, position);
        position = 0;
    }
}
