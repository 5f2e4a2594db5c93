package io.shardgrid.server.store;

import java.util.Arrays;

/**
 * Block sizes of the slab allocator. Up to {@link #LINEAR_LIMIT} bytes the classes step by 8, so
 * small entries lose at most 7 bytes to rounding; above it, each doubling is cut into 8 steps, so
 * rounding costs at most 12.5% (6.25% on average). Entries above {@link #MAX_SMALL_BLOCK} get a
 * chunk of their own.
 */
final class SizeClasses {
    static final int GRANULE = 8;
    static final int MIN_BLOCK = 32;
    static final int LINEAR_LIMIT = 1024;
    static final int MAX_SMALL_BLOCK = 16 * 1024;
    static final int STEPS_PER_DOUBLING = 8;
    /** Class id of blocks that own a whole chunk. */
    static final int LARGE = 0xFFFF;

    private static final int[] SIZES = buildSizes();
    static final int COUNT = SIZES.length;

    private SizeClasses() {
    }

    /** The class whose blocks hold {@code entryLength} bytes, or {@link #LARGE}. */
    static int classOf(long entryLength) {
        if (entryLength > MAX_SMALL_BLOCK) {
            return LARGE;
        }
        final int length = (int) Math.max(entryLength, MIN_BLOCK);
        if (length <= LINEAR_LIMIT) {
            return (roundUp(length) - MIN_BLOCK) / GRANULE;
        }
        final int found = Arrays.binarySearch(SIZES, length);
        return found >= 0 ? found : -found - 1;
    }

    static int blockLength(int sizeClass) {
        return SIZES[sizeClass];
    }

    static int roundUp(long length) {
        return (int) ((length + GRANULE - 1) & -GRANULE);
    }

    private static int[] buildSizes() {
        final int linear = (LINEAR_LIMIT - MIN_BLOCK) / GRANULE + 1;
        int geometric = 0;
        for (int base = LINEAR_LIMIT; base < MAX_SMALL_BLOCK; base <<= 1) {
            geometric += STEPS_PER_DOUBLING;
        }
        final int[] sizes = new int[linear + geometric];
        int i = 0;
        for (int size = MIN_BLOCK; size <= LINEAR_LIMIT; size += GRANULE) {
            sizes[i++] = size;
        }
        for (int base = LINEAR_LIMIT; base < MAX_SMALL_BLOCK; base <<= 1) {
            final int step = base / STEPS_PER_DOUBLING;
            for (int s = 1; s <= STEPS_PER_DOUBLING; s++) {
                sizes[i++] = base + s * step;
            }
        }
        return sizes;
    }
}
