package io.shardgrid.server.store;

import static io.shardgrid.server.store.EntryDescriptor.NEXT_FREE_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.SIZE_CLASS_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.VERSION_OFFSET;

import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.agrona.BufferUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Hands out entry blocks from 64 KiB off-heap slabs, one size class per slab, and takes them back
 * onto per-class free lists (LIFO, linked through the block's deadline field). Entries too big for
 * a slab get a chunk of their own. Every byte of a slab or chunk is reserved from the
 * {@link MemoryBudget} before it is allocated and released when it is dropped.
 *
 * <p>A block is named by a 32-bit reference: {@code slabId << 13 | offset / 8}. Slab id 0 is never
 * used, so reference 0 means "none", and the highest id is never handed out, so an all-ones slot
 * (the index's tombstone) never names a block.
 *
 * <p>Design notes. A slab keeps its size class until {@link #clear()}: block headers then sit at
 * fixed addresses for the store's life and their versions only ever grow, which is what lets
 * readers holding a stale reference detect reuse with a version check alone. The price is that free
 * blocks of one class do not serve another; that space shows up as free bytes (fragmentation),
 * bounded by each class's peak use, and is returned by clear() or a snapshot reload. Dropped slabs
 * and chunks are not freed explicitly: a reader may still be copying from one, and the reader's own
 * reference keeps the memory alive until the garbage collector's cleaner frees it. Budget
 * accounting is released at once.
 */
final class SlabAllocator {
    static final int SLAB_SHIFT = 16;
    static final int SLAB_BYTES = 1 << SLAB_SHIFT;
    static final int OFFSET_BITS = SLAB_SHIFT - 3;
    static final int MAX_SLAB_ID = (1 << (Integer.SIZE - OFFSET_BITS)) - 2;
    private static final int OFFSET_MASK = (1 << OFFSET_BITS) - 1;
    private static final int ALIGNMENT = 64;

    private final MemoryBudget budget;
    private final int[] freeHead = new int[SizeClasses.COUNT];
    private final int[] carveSlab = new int[SizeClasses.COUNT];
    private final int[] carveOffset = new int[SizeClasses.COUNT];
    private final IntArrayList releasedIds = new IntArrayList();
    private volatile UnsafeBuffer[] slabs = new UnsafeBuffer[16];
    private int nextSlabId = 1;
    private long allocatedBytes;
    private long slabBytes;
    private long smallBlockBytes;
    private long largeBytes;

    SlabAllocator(MemoryBudget budget) {
        this.budget = budget;
    }

    static int slabId(int ref) {
        return ref >>> OFFSET_BITS;
    }

    static int offset(int ref) {
        return (ref & OFFSET_MASK) << 3;
    }

    static int ref(int slabId, int offset) {
        return (slabId << OFFSET_BITS) | (offset >>> 3);
    }

    /** The slab or chunk with this id, or null if a reader's reference went stale. Any thread. */
    UnsafeBuffer buffer(int slabId) {
        final UnsafeBuffer[] current = slabs;
        return slabId < current.length ? current[slabId] : null;
    }

    /**
     * A block for an entry of {@code entryLength} bytes with its version odd (not yet readable), or
     * 0 when the budget cannot cover it.
     */
    int allocate(long entryLength) {
        final int sizeClass = SizeClasses.classOf(entryLength);
        return sizeClass == SizeClasses.LARGE ? allocateLarge(entryLength) : allocateSmall(sizeClass);
    }

    /** Whether an entry of {@code entryLength} bytes can be rewritten in the block it already has. */
    static boolean fitsInPlace(UnsafeBuffer buffer, int offset, long entryLength) {
        final int sizeClass = sizeClass(buffer, offset);
        return sizeClass != SizeClasses.LARGE && sizeClass == SizeClasses.classOf(entryLength);
    }

    static int sizeClass(UnsafeBuffer buffer, int offset) {
        return buffer.getShort(offset + SIZE_CLASS_OFFSET) & 0xFFFF;
    }

    /** Marks the block free (odd version) and makes it available for reuse. Writer thread only. */
    void free(int ref) {
        final int id = slabId(ref);
        final UnsafeBuffer buffer = slabs[id];
        final int offset = offset(ref);
        markOdd(buffer, offset);
        final int sizeClass = sizeClass(buffer, offset);
        if (sizeClass == SizeClasses.LARGE) {
            final int length = buffer.capacity();
            slabs[id] = null;
            releasedIds.addInt(id);
            largeBytes -= length;
            allocatedBytes -= length;
            budget.release(length);
        } else {
            buffer.putInt(offset + NEXT_FREE_OFFSET, freeHead[sizeClass]);
            freeHead[sizeClass] = ref;
            smallBlockBytes -= SizeClasses.blockLength(sizeClass);
        }
    }

    /** Block bytes in use, including headers and rounding. */
    long usedBlockBytes() {
        return smallBlockBytes + largeBytes;
    }

    /** Bytes reserved from the budget for slabs and chunks. */
    long allocatedBytes() {
        return allocatedBytes;
    }

    /** Slab bytes not in a live block: free-list blocks, uncarved slab space and slab tails. */
    long freeBytes() {
        return slabBytes - smallBlockBytes;
    }

    /** Drops every slab and chunk and returns their bytes to the budget. Writer thread only. */
    void clear() {
        budget.release(allocatedBytes);
        slabs = new UnsafeBuffer[16];
        Arrays.fill(freeHead, 0);
        Arrays.fill(carveSlab, 0);
        Arrays.fill(carveOffset, 0);
        releasedIds.clear();
        nextSlabId = 1;
        allocatedBytes = 0;
        slabBytes = 0;
        smallBlockBytes = 0;
        largeBytes = 0;
    }

    static void markOdd(UnsafeBuffer buffer, int offset) {
        final int version = buffer.getInt(offset + VERSION_OFFSET);
        if ((version & 1) == 0) {
            buffer.putIntVolatile(offset + VERSION_OFFSET, version + 1);
        }
        // the odd version must be visible before any byte of the rewrite
        VarHandle.storeStoreFence();
    }

    private int allocateSmall(int sizeClass) {
        final int blockLength = SizeClasses.blockLength(sizeClass);
        int ref = freeHead[sizeClass];
        if (ref != 0) {
            freeHead[sizeClass] = slabs[slabId(ref)].getInt(offset(ref) + NEXT_FREE_OFFSET);
        } else {
            if (carveSlab[sizeClass] == 0 || carveOffset[sizeClass] + blockLength > SLAB_BYTES) {
                final int id = newChunk(SLAB_BYTES);
                if (id == 0) {
                    return 0;
                }
                slabBytes += SLAB_BYTES;
                carveSlab[sizeClass] = id;
                carveOffset[sizeClass] = 0;
            }
            ref = ref(carveSlab[sizeClass], carveOffset[sizeClass]);
            carveOffset[sizeClass] += blockLength;
            final UnsafeBuffer slab = slabs[slabId(ref)];
            markOdd(slab, offset(ref));
            slab.putShort(offset(ref) + SIZE_CLASS_OFFSET, (short) sizeClass);
        }
        smallBlockBytes += blockLength;
        return ref;
    }

    private int allocateLarge(long entryLength) {
        final int length = SizeClasses.roundUp(entryLength);
        final int id = newChunk(length);
        if (id == 0) {
            return 0;
        }
        largeBytes += length;
        final UnsafeBuffer chunk = slabs[id];
        markOdd(chunk, 0);
        chunk.putShort(SIZE_CLASS_OFFSET, (short) SizeClasses.LARGE);
        return ref(id, 0);
    }

    private int newChunk(int length) {
        final int id = releasedIds.isEmpty() ? nextSlabId : releasedIds.getInt(releasedIds.size() - 1);
        if (id > MAX_SLAB_ID || !budget.tryReserve(length)) {
            return 0;
        }
        if (id == nextSlabId) {
            nextSlabId++;
        } else {
            releasedIds.removeAt(releasedIds.size() - 1);
        }
        UnsafeBuffer[] current = slabs;
        if (id >= current.length) {
            current = Arrays.copyOf(current, Math.min(current.length * 2, MAX_SLAB_ID + 1));
            slabs = current;
        }
        current[id] = new UnsafeBuffer(BufferUtil.allocateDirectAligned(length, ALIGNMENT));
        allocatedBytes += length;
        return id;
    }
}
