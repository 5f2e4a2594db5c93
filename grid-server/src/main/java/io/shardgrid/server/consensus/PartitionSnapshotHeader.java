package io.shardgrid.server.consensus;

import io.shardgrid.common.routing.HashRange;
import io.shardgrid.common.routing.Partitioner;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What a partition's snapshot (and a split's seed) holds before the store's data: "SGPC", a
 * version, the apply clock, the hash range the partition owns (bits, or -1 for "whatever the map
 * gives it", and prefix) and the ids of the partitions split off it (a count, then each id).
 * Version 1 had the clock only; a snapshot from before headers has none (see {@link #read}).
 */
record PartitionSnapshotHeader(long applyClockMs, HashRange range, List<Integer> children) {
    private static final int MAGIC = 0x4350_4753;
    private static final int VERSION = 2;
    private static final int NO_RANGE = -1;

    PartitionSnapshotHeader {
        children = List.copyOf(children);
    }

    void write(OutputStream out) throws IOException {
        DataOutputStream header = new DataOutputStream(out);
        header.writeInt(MAGIC);
        header.writeInt(VERSION);
        header.writeLong(applyClockMs);
        header.writeInt(range == null ? NO_RANGE : range.bits());
        header.writeLong(range == null ? 0 : range.prefix());
        header.writeInt(children.size());
        for (int child : children) {
            header.writeInt(child);
        }
        header.flush();
    }

    /**
     * Reads the header from {@code in}, which must support mark and reset; returns null, with the
     * stream reset to where it was, for a snapshot written before headers existed.
     */
    static PartitionSnapshotHeader read(InputStream in, int partitionId) throws IOException {
        in.mark(Integer.BYTES);
        DataInputStream header = new DataInputStream(in);
        if (header.readInt() != MAGIC) {
            in.reset();
            return null;
        }
        int version = header.readInt();
        if (version != 1 && version != VERSION) {
            throw new IOException("partition " + partitionId + " snapshot header version " + version
                + " is not supported, expected 1 or " + VERSION);
        }
        long clock = header.readLong();
        if (version == 1) {
            return new PartitionSnapshotHeader(clock, null, List.of());
        }
        int bits = header.readInt();
        long prefix = header.readLong();
        int count = header.readInt();
        if (count < 0 || count > Partitioner.MAX_PARTITIONS) {
            throw new IOException("partition " + partitionId + " snapshot names " + count + " children");
        }
        List<Integer> children = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            children.add(header.readInt());
        }
        return new PartitionSnapshotHeader(clock, bits == NO_RANGE ? null : new HashRange(bits, prefix), children);
    }
}
