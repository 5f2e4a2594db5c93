package io.shardgrid.common.routing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.openhft.hashing.LongHashFunction;

/**
 * Maps a key to its partition: the partition whose {@link HashRange} holds {@code xxh3_64(k)}.
 *
 * <p>With {@code P} equal ranges (a cluster that never split) that is {@code xxh3_64(k) >>> (64 -
 * log2(P))}: the top bits of the hash rather than a modulus, so that halving a range moves only
 * the keys of that range. A split partition keeps the lower half of its range and its child takes
 * the upper half. Ranges of up to {@value #TABLE_BITS} bits route through a table indexed by the
 * top hash bits; deeper ones by binary search over the range starts. Hashing allocates nothing.
 */
public final class Partitioner {
    public static final int MAX_PARTITIONS = 1 << 16;
    /** Range depth up to which routing is one table lookup (a table of {@code 2^bits} ids). */
    static final int TABLE_BITS = 12;

    private static final LongHashFunction XX3 = LongHashFunction.xx3();
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[256]);

    private final int partitionCount;
    /** Partition ids by the top hash bits ({@code 64 - tableShift} of them), or null when ranges are deeper. */
    private final int[] table;
    private final int tableShift;
    /** Range starts in unsigned order, and the partition owning each; only when {@code table} is null. */
    private final long[] starts;
    private final int[] owners;

    /** {@code partitionCount} equal ranges, partition {@code i} owning the {@code i}-th: a table of ids. */
    public Partitioner(int partitionCount) {
        if (partitionCount < 1 || partitionCount > MAX_PARTITIONS || Integer.bitCount(partitionCount) != 1) {
            throw new IllegalArgumentException(
                "partition count " + partitionCount + " must be a power of two in [1, " + MAX_PARTITIONS + "]");
        }
        this.partitionCount = partitionCount;
        this.table = new int[partitionCount];
        for (int p = 0; p < partitionCount; p++) {
            table[p] = p;
        }
        this.tableShift = 64 - Integer.numberOfTrailingZeros(partitionCount);
        this.starts = null;
        this.owners = null;
    }

    /**
     * Routes by {@code ranges} (partition id to its range), which must tile the hash space: no gap,
     * no overlap.
     */
    public Partitioner(Map<Integer, HashRange> ranges) {
        if (ranges.isEmpty() || ranges.size() > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partition count " + ranges.size() + " is outside [1, "
                + MAX_PARTITIONS + "]");
        }
        List<Map.Entry<Integer, HashRange>> sorted = new ArrayList<>(ranges.entrySet());
        sorted.sort((a, b) -> Long.compareUnsigned(a.getValue().start(), b.getValue().start()));
        long expectedStart = 0;
        int maxBits = 0;
        for (int i = 0; i < sorted.size(); i++) {
            HashRange r = sorted.get(i).getValue();
            if (r.start() != expectedStart || (i > 0 && expectedStart == 0)) {
                throw new IllegalArgumentException("partition ranges do not tile the hash space: partition "
                    + sorted.get(i).getKey() + " " + r + " should start at " + String.format("%016x", expectedStart));
            }
            expectedStart = r.end() + 1;
            maxBits = Math.max(maxBits, r.bits());
        }
        if (expectedStart != 0) {
            throw new IllegalArgumentException("partition ranges do not tile the hash space: nothing owns "
                + String.format("%016x", expectedStart) + " and above");
        }
        this.partitionCount = sorted.size();
        if (maxBits <= TABLE_BITS) {
            table = new int[1 << maxBits];
            tableShift = 64 - maxBits;
            for (Map.Entry<Integer, HashRange> e : sorted) {
                HashRange r = e.getValue();
                int from = (int) (r.prefix() << (maxBits - r.bits()));
                Arrays.fill(table, from, from + (1 << (maxBits - r.bits())), e.getKey());
            }
            starts = null;
            owners = null;
        } else {
            table = null;
            tableShift = 0;
            starts = new long[sorted.size()];
            owners = new int[sorted.size()];
            for (int i = 0; i < sorted.size(); i++) {
                starts[i] = sorted.get(i).getValue().start();
                owners[i] = sorted.get(i).getKey();
            }
        }
    }

    /** How many partitions own a range. */
    public int partitionCount() {
        return partitionCount;
    }

    public static long hash(byte[] key) {
        return XX3.hashBytes(key);
    }

    public static long hash(byte[] key, int offset, int length) {
        return XX3.hashBytes(key, offset, length);
    }

    /**
     * Hashes the remaining bytes of {@code key} without moving its position. Direct and read-only
     * buffers are copied into a per-thread scratch array first: the hashing library reads direct
     * buffers through JDK internals that a client application should not have to export.
     */
    public static long hash(ByteBuffer key) {
        int length = key.remaining();
        if (key.hasArray()) {
            return XX3.hashBytes(key.array(), key.arrayOffset() + key.position(), length);
        }
        byte[] scratch = SCRATCH.get();
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
            SCRATCH.set(scratch);
        }
        key.get(key.position(), scratch, 0, length);
        return XX3.hashBytes(scratch, 0, length);
    }

    public int partitionOf(byte[] key) {
        return partitionOfHash(hash(key));
    }

    public int partitionOf(byte[] key, int offset, int length) {
        return partitionOfHash(hash(key, offset, length));
    }

    public int partitionOf(ByteBuffer key) {
        return partitionOfHash(hash(key));
    }

    public int partitionOfHash(long hash) {
        if (table != null) {
            // tableShift == 64 for a single range: Java masks the shift distance to 0, so handle it.
            return tableShift == 64 ? table[0] : table[(int) (hash >>> tableShift)];
        }
        int low = 0;
        int high = starts.length - 1;
        while (low < high) { // the last start at or below hash
            int mid = (low + high + 1) >>> 1;
            if (Long.compareUnsigned(starts[mid], hash) <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return owners[low];
    }
}
