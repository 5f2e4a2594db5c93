package io.shardgrid.common.routing;

/**
 * A contiguous range of the 64-bit key-hash space: the hashes whose top {@code bits} bits equal
 * {@code prefix}. Bootstrap ranges are the {@code P} equal ones of {@code log2(P)} bits; a split
 * halves a range into its lower and upper half, one more bit each, so every range a cluster ever
 * has is such a prefix and the ranges of a map always tile the whole space.
 */
public record HashRange(int bits, long prefix) {
    /** Deepest range; far more splits than any cluster needs, and room left for the prefix arithmetic. */
    public static final int MAX_BITS = 48;
    public static final HashRange ALL = new HashRange(0, 0);

    public HashRange {
        if (bits < 0 || bits > MAX_BITS) {
            throw new IllegalArgumentException("hash range of " + bits + " bits is outside [0, " + MAX_BITS + "]");
        }
        if (prefix < 0 || prefix >= (1L << bits)) {
            throw new IllegalArgumentException("hash range prefix " + prefix + " does not fit in " + bits + " bits");
        }
    }

    /** Range {@code index} of {@code count} equal ranges ({@code count} a power of two). */
    public static HashRange equalShare(int index, int count) {
        if (count < 1 || Integer.bitCount(count) != 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("no equal share " + index + " of " + count + " ranges");
        }
        return new HashRange(Integer.numberOfTrailingZeros(count), index);
    }

    public boolean contains(long hash) {
        return bits == 0 || (hash >>> (64 - bits)) == prefix;
    }

    /** The first hash of the range, as an unsigned 64-bit number. */
    public long start() {
        return bits == 0 ? 0 : prefix << (64 - bits);
    }

    /** The last hash of the range, as an unsigned 64-bit number. */
    public long end() {
        return bits == 0 ? -1L : start() | (-1L >>> bits);
    }

    public boolean canSplit() {
        return bits < MAX_BITS;
    }

    /** The lower half: what a partition keeps when it splits. */
    public HashRange lower() {
        checkSplittable();
        return new HashRange(bits + 1, prefix << 1);
    }

    /** The upper half: what a split hands to the new child partition. */
    public HashRange upper() {
        checkSplittable();
        return new HashRange(bits + 1, (prefix << 1) | 1);
    }

    private void checkSplittable() {
        if (!canSplit()) {
            throw new IllegalArgumentException("hash range " + this + " is at the deepest split (" + MAX_BITS
                + " bits)");
        }
    }

    @Override
    public String toString() {
        return String.format("[%016x, %016x]", start(), end());
    }
}
