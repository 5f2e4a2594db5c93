package io.shardgrid.common.routing;

import java.nio.ByteBuffer;
import net.openhft.hashing.LongHashFunction;

/**
 * Maps a key to its partition: {@code part(k) = xxh3_64(k) >>> (64 - log2(P))}.
 *
 * <p>The top bits of the hash are used rather than a modulus so that doubling {@code P} splits
 * every partition into two adjacent ones. A key's partition never changes for a given {@code P};
 * only the partition's replica set moves. Hashing allocates nothing.
 */
public final class Partitioner {
    public static final int MAX_PARTITIONS = 1 << 16;

    private static final LongHashFunction XX3 = LongHashFunction.xx3();
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[256]);

    private final int partitionCount;
    private final int shift;

    public Partitioner(int partitionCount) {
        if (partitionCount < 1 || partitionCount > MAX_PARTITIONS || Integer.bitCount(partitionCount) != 1) {
            throw new IllegalArgumentException(
                "partition count " + partitionCount + " must be a power of two in [1, " + MAX_PARTITIONS + "]");
        }
        this.partitionCount = partitionCount;
        this.shift = 64 - Integer.numberOfTrailingZeros(partitionCount);
    }

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
        // shift == 64 when P == 1: Java masks the shift distance to 0, so handle it explicitly.
        return shift == 64 ? 0 : (int) (hash >>> shift);
    }
}
