package io.shardgrid.server.store;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Open-addressing hash table (linear probing) from key hash to entry block, off-heap. Each slot is
 * 8 bytes: the block reference in the high half and the low 32 bits of the key's hash in the low
 * half, so probes skip most foreign keys without touching their entries and a resize never needs
 * to rehash a key. 0 is an empty slot and -1 a tombstone.
 *
 * <p>Design notes. Removal leaves a tombstone rather than shifting later slots back: a shift could
 * move a key behind a concurrent reader's probe and make it miss a key that never left. Tombstones
 * are purged when the table is rebuilt, which happens when live slots plus tombstones pass 3/4 of
 * the capacity: the new table doubles if more than half would be live, else keeps its size. A
 * rebuild fills a new table and publishes it with a volatile write; readers still probing the old
 * one see a consistent (if dated) table, and the store makes them retry a miss when the structure
 * changed under them. The old table's memory is left to the garbage collector for the same reason
 * slabs are. The table never shrinks except on clear.
 */
final class EntryIndex {
    static final long EMPTY = 0L;
    static final long TOMBSTONE = -1L;
    static final int SLOT_LENGTH = 8;
    static final int MIN_CAPACITY = 64;
    static final int MAX_CAPACITY = 1 << 27;
    private static final int ALIGNMENT = 64;
    private static final UnsafeBuffer NO_TABLE = new UnsafeBuffer(new byte[0]);

    private final MemoryBudget budget;
    private final OverBudget overBudget;
    private volatile UnsafeBuffer published = NO_TABLE;
    private UnsafeBuffer table = NO_TABLE;
    private int capacity;
    private int liveSlots;
    private int tombstones;

    EntryIndex(MemoryBudget budget, OverBudget overBudget) {
        this.budget = budget;
        this.overBudget = overBudget;
    }

    static long slot(int ref, int hashTag) {
        return ((long) ref << 32) | (hashTag & 0xFFFF_FFFFL);
    }

    static int ref(long slot) {
        return (int) (slot >>> 32);
    }

    static int hashTag(long slot) {
        return (int) slot;
    }

    /** The current table for readers; its capacity in slots is {@code capacity() / 8}. */
    UnsafeBuffer publishedTable() {
        return published;
    }

    /** The current table for the writer. */
    UnsafeBuffer table() {
        return table;
    }

    int capacity() {
        return capacity;
    }

    int liveSlots() {
        return liveSlots;
    }

    long allocatedBytes() {
        return (long) capacity * SLOT_LENGTH;
    }

    long slotAt(int position) {
        return table.getLong(position * SLOT_LENGTH);
    }

    /** Whether inserting into an empty slot at {@code position} first needs {@link #rebuild()}. */
    boolean needsRebuildToInsertAt(int position) {
        return capacity == 0
            || (slotAt(position) == EMPTY && (liveSlots + tombstones + 1) * 4L > capacity * 3L);
    }

    void insertAt(int position, long slot) {
        if (slotAt(position) == TOMBSTONE) {
            tombstones--;
        }
        liveSlots++;
        table.putLongRelease(position * SLOT_LENGTH, slot);
    }

    void replaceAt(int position, long slot) {
        table.putLongRelease(position * SLOT_LENGTH, slot);
    }

    void removeAt(int position) {
        liveSlots--;
        tombstones++;
        table.putLongRelease(position * SLOT_LENGTH, TOMBSTONE);
    }

    /**
     * Budget bytes the next insert of a new key would add for a grown table (0 if it needs none).
     * A rebuild that only purges tombstones keeps the size: the new table is reserved a moment
     * before the old one is released, which admission leaves to the overshoot allowance rather
     * than refuse writes for (evictions leave tombstones, so under eviction such rebuilds are
     * routine). A hint for admission, read beside the writer: any thread.
     */
    long bytesToInsert() {
        final int live = liveSlots;
        final int cap = capacity;
        if (cap != 0 && (live + tombstones + 1) * 4L <= cap * 3L) {
            return 0;
        }
        return (long) (rebuiltCapacity(live, cap) - cap) * SLOT_LENGTH;
    }

    private static int rebuiltCapacity(int liveSlots, int capacity) {
        int newCapacity = Math.max(capacity, MIN_CAPACITY);
        while ((liveSlots + 1) * 2L > newCapacity) {
            newCapacity <<= 1;
        }
        return newCapacity;
    }

    /**
     * Builds a tombstone-free table with room for one more key and publishes it. Returns false, with
     * nothing changed, when the budget refuses the new table (or it would pass {@link #MAX_CAPACITY}).
     */
    boolean rebuild() {
        final int newCapacity = rebuiltCapacity(liveSlots, capacity);
        if (newCapacity > MAX_CAPACITY
            || !budget.reserve((long) newCapacity * SLOT_LENGTH, overBudget.mayOvershoot())) {
            return false;
        }
        final UnsafeBuffer newTable =
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(newCapacity * SLOT_LENGTH, ALIGNMENT));
        final int newMask = newCapacity - 1;
        for (int i = 0; i < capacity; i++) {
            final long slot = table.getLong(i * SLOT_LENGTH);
            if (slot != EMPTY && slot != TOMBSTONE) {
                int position = hashTag(slot) & newMask;
                while (newTable.getLong(position * SLOT_LENGTH) != EMPTY) {
                    position = (position + 1) & newMask;
                }
                newTable.putLong(position * SLOT_LENGTH, slot);
            }
        }
        budget.release(allocatedBytes());
        table = newTable;
        capacity = newCapacity;
        tombstones = 0;
        published = newTable;
        return true;
    }

    /** Drops the table and returns its bytes to the budget. */
    void clear() {
        budget.release(allocatedBytes());
        table = NO_TABLE;
        capacity = 0;
        liveSlots = 0;
        tombstones = 0;
        published = NO_TABLE;
    }
}
