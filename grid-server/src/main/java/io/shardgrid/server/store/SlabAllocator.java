package io.shardgrid.server.store;

import static io.shardgrid.server.store.EntryDescriptor.NEXT_FREE_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.SIZE_CLASS_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.VERSION_OFFSET;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.agrona.BufferUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Hands out entry blocks from 64 KiB off-heap slabs, one size class per slab, and takes them back
 * onto per-slab free lists (LIFO, linked through the block's deadline field). Entries too big for
 * a slab get a chunk of their own. Every byte of a slab or chunk is reserved from the
 * {@link MemoryBudget} before it is allocated and released when it is dropped.
 *
 * <p>A block is named by a 32-bit reference: {@code slabId << 13 | offset / 8}. Slab id 0 is never
 * used, so reference 0 means "none", and the highest id is never handed out, so an all-ones slot
 * (the index's tombstone) never names a block.
 *
 * <p>Design notes. Each class keeps a list of its slabs with room; allocation takes the first of
 * them, a slab that fills up leaves the list and rejoins at the tail when a block is freed. A slab
 * whose last block is freed goes back to the budget unless it is its class's only slab with room
 * (which avoids thrashing when one key churns), so free space is bounded by the partly used slabs
 * and a shift in value sizes does not strand memory in old classes. A released slab id may be
 * re-carved for another class, which puts block boundaries where a reader holding a stale
 * reference does not expect them: {@link #layoutEpoch()} moves first, and readers check it before
 * trusting anything they read. Dropped slabs and chunks are not freed explicitly: a reader may
 * still be copying from one, and its reference keeps the memory alive until the garbage
 * collector's cleaner frees it. Budget accounting is released at once.
 */
final class SlabAllocator {
    static final int SLAB_SHIFT = 16;
    static final int SLAB_BYTES = 1 << SLAB_SHIFT;
    static final int OFFSET_BITS = SLAB_SHIFT - 3;
    static final int MAX_SLAB_ID = (1 << (Integer.SIZE - OFFSET_BITS)) - 2;
    private static final int OFFSET_MASK = (1 << OFFSET_BITS) - 1;
    private static final int ALIGNMENT = 64;
    private static final int INITIAL_SLABS = 16;
    private static final VarHandle PARTIAL_HEAD = MethodHandles.arrayElementVarHandle(int[].class);

    private final MemoryBudget budget;
    private final OverBudget overBudget;
    private final int[] partialHead = new int[SizeClasses.COUNT];
    private final int[] partialTail = new int[SizeClasses.COUNT];
    private final IntArrayList releasedIds = new IntArrayList();
    private volatile UnsafeBuffer[] slabs;
    private volatile int layoutEpoch;
    private int[] slabClass;
    private int[] slabFreeHead;
    private int[] slabCarveOffset;
    private int[] slabLiveBlocks;
    private int[] partialNext;
    private int[] partialPrev;
    private int nextSlabId;
    private long allocatedBytes;
    private long slabBytes;
    private long smallBlockBytes;
    private long largeBytes;

    SlabAllocator(MemoryBudget budget, OverBudget overBudget) {
        this.budget = budget;
        this.overBudget = overBudget;
        reset();
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

    /** Moves whenever block boundaries may have changed under a stale reference. Any thread. */
    int layoutEpoch() {
        return layoutEpoch;
    }

    /**
     * A block for an entry of {@code entryLength} bytes with its version odd (not yet readable), or
     * 0 when the budget cannot cover it.
     */
    int allocate(long entryLength) {
        final int sizeClass = SizeClasses.classOf(entryLength);
        return sizeClass == SizeClasses.LARGE ? allocateLarge(entryLength) : allocateSmall(sizeClass);
    }

    /**
     * Budget bytes a new block for an entry of {@code entryLength} bytes would reserve: 0 while its
     * size class has a slab with room, else a slab, or the chunk of a large entry. A hint for
     * admission, read beside the writer (it may be a moment out of date): any thread.
     */
    long bytesToAllocate(long entryLength) {
        final int sizeClass = SizeClasses.classOf(entryLength);
        if (sizeClass == SizeClasses.LARGE) {
            return SizeClasses.roundUp(entryLength);
        }
        return (int) PARTIAL_HEAD.getOpaque(partialHead, sizeClass) != 0 ? 0 : SLAB_BYTES;
    }

    /**
     * Whether an entry of {@code entryLength} bytes can be rewritten in the block it already has: a
     * slab block of its size class, or a chunk of its own that the entry still fills by more than
     * 7/8 (as much as size-class rounding may waste). So overwriting a large value with one of the
     * same size, the common case, allocates no new direct buffer; a chunk never grows in place.
     */
    static boolean fitsInPlace(UnsafeBuffer buffer, int offset, long entryLength) {
        final int sizeClass = sizeClass(buffer, offset);
        if (sizeClass == SizeClasses.LARGE) {
            final int capacity = buffer.capacity();
            return entryLength <= capacity && entryLength > capacity - capacity / 8;
        }
        return sizeClass == SizeClasses.classOf(entryLength);
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
            largeBytes -= buffer.capacity();
            release(id, buffer.capacity());
            return;
        }
        final boolean wasFull = isFull(id, sizeClass);
        buffer.putInt(offset + NEXT_FREE_OFFSET, slabFreeHead[id]);
        slabFreeHead[id] = ref;
        slabLiveBlocks[id]--;
        smallBlockBytes -= SizeClasses.blockLength(sizeClass);
        if (wasFull) {
            linkPartial(sizeClass, id);
        }
        if (slabLiveBlocks[id] == 0 && (partialHead[sizeClass] != id || partialNext[id] != 0)) {
            unlinkPartial(sizeClass, id);
            slabBytes -= SLAB_BYTES;
            release(id, SLAB_BYTES);
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

    /** Slab bytes not in a live block: free blocks, uncarved slab space and slab tails. */
    long freeBytes() {
        return slabBytes - smallBlockBytes;
    }

    /** Slabs and chunks currently held. */
    int slabCount() {
        return nextSlabId - 1 - releasedIds.size();
    }

    /** Drops every slab and chunk and returns their bytes to the budget. Writer thread only. */
    void clear() {
        layoutEpoch = layoutEpoch + 1;
        budget.release(allocatedBytes);
        reset();
    }

    static void markOdd(UnsafeBuffer buffer, int offset) {
        final int version = buffer.getInt(offset + VERSION_OFFSET);
        if ((version & 1) == 0) {
            buffer.putIntVolatile(offset + VERSION_OFFSET, version + 1);
        }
        // the odd version must be visible before any byte of the rewrite
        VarHandle.storeStoreFence();
    }

    private void reset() {
        slabs = new UnsafeBuffer[INITIAL_SLABS];
        slabClass = new int[INITIAL_SLABS];
        slabFreeHead = new int[INITIAL_SLABS];
        slabCarveOffset = new int[INITIAL_SLABS];
        slabLiveBlocks = new int[INITIAL_SLABS];
        partialNext = new int[INITIAL_SLABS];
        partialPrev = new int[INITIAL_SLABS];
        Arrays.fill(partialHead, 0);
        Arrays.fill(partialTail, 0);
        releasedIds.clear();
        nextSlabId = 1;
        allocatedBytes = 0;
        slabBytes = 0;
        smallBlockBytes = 0;
        largeBytes = 0;
    }

    private int allocateSmall(int sizeClass) {
        final int blockLength = SizeClasses.blockLength(sizeClass);
        int id = partialHead[sizeClass];
        if (id == 0) {
            id = newChunk(SLAB_BYTES);
            if (id == 0) {
                return 0;
            }
            slabBytes += SLAB_BYTES;
            slabClass[id] = sizeClass;
            slabFreeHead[id] = 0;
            slabCarveOffset[id] = 0;
            slabLiveBlocks[id] = 0;
            linkPartial(sizeClass, id);
        }
        final UnsafeBuffer slab = slabs[id];
        int ref = slabFreeHead[id];
        if (ref != 0) {
            slabFreeHead[id] = slab.getInt(offset(ref) + NEXT_FREE_OFFSET);
        } else {
            ref = ref(id, slabCarveOffset[id]);
            slabCarveOffset[id] += blockLength;
            markOdd(slab, offset(ref));
            slab.putShort(offset(ref) + SIZE_CLASS_OFFSET, (short) sizeClass);
        }
        slabLiveBlocks[id]++;
        smallBlockBytes += blockLength;
        if (isFull(id, sizeClass)) {
            unlinkPartial(sizeClass, id);
        }
        return ref;
    }

    private boolean isFull(int id, int sizeClass) {
        return slabFreeHead[id] == 0 && slabCarveOffset[id] + SizeClasses.blockLength(sizeClass) > SLAB_BYTES;
    }

    private int allocateLarge(long entryLength) {
        final int length = SizeClasses.roundUp(entryLength);
        final int id = newChunk(length);
        if (id == 0) {
            return 0;
        }
        largeBytes += length;
        slabClass[id] = SizeClasses.LARGE;
        final UnsafeBuffer chunk = slabs[id];
        markOdd(chunk, 0);
        chunk.putShort(SIZE_CLASS_OFFSET, (short) SizeClasses.LARGE);
        return ref(id, 0);
    }

    private int newChunk(int length) {
        final int id = releasedIds.isEmpty() ? nextSlabId : releasedIds.getInt(releasedIds.size() - 1);
        if (id > MAX_SLAB_ID || !budget.reserve(length, overBudget.mayOvershoot())) {
            return 0;
        }
        if (id == nextSlabId) {
            nextSlabId++;
        } else {
            releasedIds.removeAt(releasedIds.size() - 1);
        }
        UnsafeBuffer[] current = slabs;
        if (id >= current.length) {
            final int newLength = Math.min(current.length * 2, MAX_SLAB_ID + 1);
            slabClass = Arrays.copyOf(slabClass, newLength);
            slabFreeHead = Arrays.copyOf(slabFreeHead, newLength);
            slabCarveOffset = Arrays.copyOf(slabCarveOffset, newLength);
            slabLiveBlocks = Arrays.copyOf(slabLiveBlocks, newLength);
            partialNext = Arrays.copyOf(partialNext, newLength);
            partialPrev = Arrays.copyOf(partialPrev, newLength);
            current = Arrays.copyOf(current, newLength);
            slabs = current;
        }
        current[id] = new UnsafeBuffer(BufferUtil.allocateDirectAligned(length, ALIGNMENT));
        allocatedBytes += length;
        return id;
    }

    private void release(int id, int length) {
        // before the id can be re-carved: readers must learn that block boundaries may have moved
        layoutEpoch = layoutEpoch + 1;
        slabs[id] = null;
        releasedIds.addInt(id);
        allocatedBytes -= length;
        budget.release(length);
    }

    private void linkPartial(int sizeClass, int id) {
        final int tail = partialTail[sizeClass];
        partialPrev[id] = tail;
        partialNext[id] = 0;
        if (tail == 0) {
            partialHead[sizeClass] = id;
        } else {
            partialNext[tail] = id;
        }
        partialTail[sizeClass] = id;
    }

    private void unlinkPartial(int sizeClass, int id) {
        final int prev = partialPrev[id];
        final int next = partialNext[id];
        if (prev == 0) {
            partialHead[sizeClass] = next;
        } else {
            partialNext[prev] = next;
        }
        if (next == 0) {
            partialTail[sizeClass] = prev;
        } else {
            partialPrev[next] = prev;
        }
        partialPrev[id] = 0;
        partialNext[id] = 0;
    }
}
