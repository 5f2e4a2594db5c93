package io.shardgrid.server.store;

import static io.shardgrid.server.store.EntryDescriptor.ACCESS_STAMP_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.EXPIRE_AT_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.KEY_LENGTH_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.KEY_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.MAX_KEY_LENGTH;
import static io.shardgrid.server.store.EntryDescriptor.VALUE_LENGTH_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.VERSION_OFFSET;
import static io.shardgrid.server.store.EntryDescriptor.entryLength;
import static io.shardgrid.server.store.EntryDescriptor.valueOffset;
import static io.shardgrid.server.store.EntryIndex.EMPTY;
import static io.shardgrid.server.store.EntryIndex.SLOT_LENGTH;
import static io.shardgrid.server.store.EntryIndex.TOMBSTONE;
import static io.shardgrid.server.store.SlabAllocator.offset;
import static io.shardgrid.server.store.SlabAllocator.slabId;

import io.shardgrid.server.core.ports.EntryConsumer;
import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.KeyConsumer;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.StoreStats;
import java.lang.invoke.VarHandle;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A {@link PartitionStore} whose keys, values and index live off-heap in Agrona buffers: an
 * {@link EntryIndex} maps key hashes to entry blocks (layout in {@link EntryDescriptor}) handed out
 * by a {@link SlabAllocator}, all charged to a node-wide {@link MemoryBudget}. No key, value or
 * entry object lives on the heap: heap use is a few fixed arrays plus about 200 bytes per 64 KiB
 * slab, whatever the number of entries, and get and set allocate nothing.
 *
 * <p>Design notes (concurrency). One writer, many readers, no locks.
 * <ul>
 *   <li>Every entry block carries a seqlock version: even while live, odd while the writer rewrites
 *   it or while it is free. A reader reads the version, the header, the key and the value, and
 *   re-reads the version; if it moved, it retries from the start, so it never returns a torn value.
 *   The writer never waits for readers.</li>
 *   <li>A value whose new entry fits its block (the same size class; for a chunk of its own, more
 *   than 7/8 of it) is rewritten in place under the version.
 *   Otherwise the writer fills a new block, publishes it in the index slot with a release store and
 *   only then frees the old block, so the slot never names a half-written entry.</li>
 *   <li>A reader can hold a reference to a block that is freed and reused for another key before it
 *   looks; it then sees a different key and probes on. That, and a reader probing an index table
 *   that was just replaced, can only produce a false miss, never a wrong hit: a hit requires the
 *   right key under a stable even version. So every free and every table rebuild bumps
 *   {@link #structureVersion}, and a reader that found nothing retries if it moved.</li>
 *   <li>When a slab is released (emptied, or by {@link #clear()}) its id may be re-carved for another
 *   size class, so a reader holding a stale reference could land in the middle of a block. Readers
 *   bound every length by the block's buffer before touching bytes and re-check the allocator's
 *   layout epoch before returning anything.</li>
 * </ul>
 *
 * <p>Expired entries read as absent at once; their memory is reclaimed when the writer touches
 * the key, by {@link #expire} (the partition leader finds expired keys with {@link #findExpired}
 * and replicates their removal, see docs/MEMORY.md) or by {@link #sweepExpired}.
 *
 * <p>{@link #findExpired} and {@link #evictionCandidates} are readers: they walk the published
 * index with {@link #scan}, which copies each entry's key under its seqlock like {@link #get} and
 * skips (rather than retries) an entry that moved, so the leader's housekeeping thread never
 * waits on or blocks the apply thread. One such caller at a time.
 */
public final class OffHeapPartitionStore implements PartitionStore {
    /** Largest value whose entry still fits one chunk addressed by an int. */
    public static final int MAX_VALUE_LENGTH = Integer.MAX_VALUE - MAX_KEY_LENGTH - EntryDescriptor.HEADER_LENGTH - 64;

    private final int partitionId;
    private final MemoryBudget budget;
    private final EntryIndex index;
    private final SlabAllocator allocator;
    private final DecimalCodec decimal = new DecimalCodec();
    private final UnsafeBuffer decimalScratch = new UnsafeBuffer(new byte[DecimalCodec.MAX_LENGTH]);
    private final EvictionSampler evictionSampler;
    private volatile long structureVersion;
    private long keys;
    private long liveBytes;
    private long expiredCount;
    private long evictedCount;
    private long lastIncrementResult;
    private int sweepCursor;
    private boolean closed;

    // The one housekeeping reader (findExpired, evictionCandidates).
    private final ExpandableArrayBuffer scanKey = new ExpandableArrayBuffer(64);
    private final KeyScanner expiredScanner = new KeyScanner();
    private int findCursor;

    /** A store on its own: a write the budget cannot cover is refused with {@code FULL}. */
    public OffHeapPartitionStore(int partitionId, MemoryBudget budget) {
        this(partitionId, budget, OverBudget.REFUSE);
    }

    /**
     * @param overBudget {@link OverBudget#OVERSHOOT} for a partition replica applying its raft log,
     *                   whose leader decides with {@link #admits} which writes enter the log
     */
    public OffHeapPartitionStore(int partitionId, MemoryBudget budget, OverBudget overBudget) {
        if (partitionId < 0) {
            throw new IllegalArgumentException("partition id " + partitionId + " must not be negative");
        }
        if (budget == null || overBudget == null) {
            throw new IllegalArgumentException("memory budget and over-budget rule must not be null");
        }
        this.partitionId = partitionId;
        this.budget = budget;
        this.index = new EntryIndex(budget, overBudget);
        this.allocator = new SlabAllocator(budget, overBudget);
        this.evictionSampler = new EvictionSampler(partitionId);
    }

    @Override
    public int partitionId() {
        return partitionId;
    }

    public MemoryBudget budget() {
        return budget;
    }

    // ---------------------------------------------------------------- readers (any thread)

    /** What {@link #read} returns. */
    private static final int READ_VALUE = 0;
    private static final int READ_DEADLINE = 1;
    private static final int READ_FITS_IN_PLACE = 2;

    @Override
    public int get(DirectBuffer key, int keyOffset, int keyLength, long nowMs, MutableDirectBuffer dst, int dstOffset) {
        checkKey(key, keyOffset, keyLength);
        return (int) read(key, keyOffset, keyLength, nowMs, READ_VALUE, 0, dst, dstOffset);
    }

    @Override
    public long expireAtMs(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        checkKey(key, keyOffset, keyLength);
        return read(key, keyOffset, keyLength, nowMs, READ_DEADLINE, 0, null, 0);
    }

    /**
     * Whether the partition's leader should let a write that leaves a value of {@code valueLength}
     * bytes at {@code key} into the log: it should when the write needs no new budget (it rewrites
     * the key's block in place, or its size class has a slab with room) or the node budget has room
     * for what it needs (a slab or chunk, and a grown index for a new key). Read beside the
     * writer, so writes still in flight are not counted: the budget may overshoot by what they
     * allocate (docs/MEMORY.md). Any thread.
     */
    @Override
    public boolean admits(DirectBuffer key, int keyOffset, int keyLength, int valueLength) {
        checkKey(key, keyOffset, keyLength);
        if (valueLength < 0 || valueLength > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value length " + valueLength + " must be in [0, "
                + MAX_VALUE_LENGTH + "]");
        }
        final long newLength = entryLength(keyLength, valueLength);
        final long held = read(key, keyOffset, keyLength, 0, READ_FITS_IN_PLACE, newLength, null, 0);
        if (held == 1) {
            return true; // rewritten in place
        }
        final long needed = allocator.bytesToAllocate(newLength) + (held == ABSENT ? index.bytesToInsert() : 0);
        return needed == 0 || needed <= budget.availableBytes();
    }

    @Override
    public long admissionBytes(DirectBuffer key, int keyOffset, int keyLength, int valueLength) {
        final long newLength = entryLength(keyLength, valueLength);
        return read(key, keyOffset, keyLength, 0, READ_FITS_IN_PLACE, newLength, null, 0) == 1 ? 0
            : SizeClasses.roundUp(newLength);
    }

    @Override
    public long roomBytes() {
        return budget.availableBytes() + allocator.freeBytes();
    }

    /**
     * Looks {@code key} up without waiting on the writer. {@link #READ_VALUE}: copies the live value
     * to {@code dst} and returns its length; {@link #READ_DEADLINE}: the live entry's deadline;
     * {@link #READ_FITS_IN_PLACE}: 1 if an entry of {@code newLength} bytes could be rewritten in
     * the block held for the key (live or expired), else 0. {@link #ABSENT} otherwise.
     */
    private long read(DirectBuffer key, int keyOffset, int keyLength, long nowMs, int mode, long newLength,
                      MutableDirectBuffer dst, int dstOffset) {
        final int hashTag = (int) KeyHashing.hash(key, keyOffset, keyLength);
        retry:
        while (true) {
            final int epochAtStart = allocator.layoutEpoch();
            final long structureAtStart = structureVersion;
            final UnsafeBuffer table = index.publishedTable();
            final int mask = (table.capacity() / SLOT_LENGTH) - 1;
            int position = hashTag & mask;
            for (int probes = 0; probes <= mask; probes++) {
                final long slot = table.getLongVolatile(position * SLOT_LENGTH);
                if (slot == EMPTY) {
                    break;
                }
                if (slot != TOMBSTONE && EntryIndex.hashTag(slot) == hashTag) {
                    final int ref = EntryIndex.ref(slot);
                    final UnsafeBuffer block = allocator.buffer(slabId(ref));
                    final int offset = offset(ref);
                    if (block == null || offset + EntryDescriptor.HEADER_LENGTH > block.capacity()) {
                        // a stale reference: its slab was released and the id reused, maybe for a smaller chunk
                        continue retry;
                    }
                    final int version = block.getIntVolatile(offset + VERSION_OFFSET);
                    if ((version & 1) != 0) {
                        Thread.onSpinWait();
                        continue retry;
                    }
                    final int entryKeyLength = block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF;
                    final int valueLength = block.getInt(offset + VALUE_LENGTH_OFFSET);
                    final long expireAtMs = block.getLong(offset + EXPIRE_AT_OFFSET);
                    VarHandle.loadLoadFence();
                    if (block.getIntVolatile(offset + VERSION_OFFSET) != version) {
                        continue retry;
                    }
                    if (valueLength < 0 || entryLength(entryKeyLength, valueLength) > block.capacity() - offset) {
                        // a stale reference into a re-carved slab: not a block header
                        continue retry;
                    }
                    if (entryKeyLength == keyLength
                        && KeyHashing.equal(block, offset + KEY_OFFSET, key, keyOffset, keyLength)) {
                        final boolean live = mode == READ_FITS_IN_PLACE || expireAtMs == 0 || expireAtMs > nowMs;
                        final boolean fits = mode == READ_FITS_IN_PLACE
                            && SlabAllocator.fitsInPlace(block, offset, newLength);
                        if (live && mode == READ_VALUE) {
                            dst.putBytes(dstOffset, block, offset + valueOffset(keyLength), valueLength);
                        }
                        VarHandle.loadLoadFence();
                        if (block.getIntVolatile(offset + VERSION_OFFSET) != version
                            || allocator.layoutEpoch() != epochAtStart) {
                            continue retry;
                        }
                        if (!live) {
                            return ABSENT;
                        }
                        if (mode == READ_FITS_IN_PLACE) {
                            return fits ? 1 : 0;
                        }
                        if (mode == READ_DEADLINE) {
                            return expireAtMs;
                        }
                        // a deadline query is not a use, as Redis's TTL does not touch the key
                        touch(block, offset, nowMs);
                        return valueLength;
                    }
                }
                position = (position + 1) & mask;
            }
            if (structureVersion == structureAtStart && allocator.layoutEpoch() == epochAtStart) {
                return ABSENT;
            }
        }
    }

    private static void touch(UnsafeBuffer block, int offset, long nowMs) {
        final int stamp = block.getIntOpaque(offset + ACCESS_STAMP_OFFSET);
        final int touched = AccessStamp.touched(stamp, nowMs);
        if (touched != stamp) {
            block.putIntOpaque(offset + ACCESS_STAMP_OFFSET, touched);
        }
    }

    // ---------------------------------------------------------------- writer thread

    @Override
    public int set(DirectBuffer key, int keyOffset, int keyLength,
                   DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        checkKey(key, keyOffset, keyLength);
        checkValue(value, valueOffset, valueLength);
        checkExpireAt(expireAtMs);
        final int hashTag = (int) KeyHashing.hash(key, keyOffset, keyLength);
        return put(findSlot(key, keyOffset, keyLength, hashTag), hashTag,
            key, keyOffset, keyLength, value, valueOffset, valueLength, expireAtMs, nowMs);
    }

    @Override
    public boolean delete(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        checkKey(key, keyOffset, keyLength);
        final int position = findSlot(key, keyOffset, keyLength, (int) KeyHashing.hash(key, keyOffset, keyLength));
        if (position < 0) {
            return false;
        }
        final boolean live = isLive(position, nowMs);
        removeAt(position);
        if (!live) {
            expiredCount++;
        }
        return live;
    }

    @Override
    public int compareAndSet(DirectBuffer key, int keyOffset, int keyLength,
                             boolean expectAbsent, DirectBuffer expected, int expectedOffset, int expectedLength,
                             DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        checkKey(key, keyOffset, keyLength);
        checkValue(value, valueOffset, valueLength);
        checkExpireAt(expireAtMs);
        final int hashTag = (int) KeyHashing.hash(key, keyOffset, keyLength);
        final int position = findSlot(key, keyOffset, keyLength, hashTag);
        final boolean live = position >= 0 && isLive(position, nowMs);
        if (expectAbsent) {
            if (live) {
                return CONDITION_FAILED;
            }
        } else {
            if (!live) {
                return CONDITION_FAILED;
            }
            final int ref = EntryIndex.ref(index.slotAt(position));
            final UnsafeBuffer block = allocator.buffer(slabId(ref));
            final int offset = offset(ref);
            if (block.getInt(offset + VALUE_LENGTH_OFFSET) != expectedLength
                || !KeyHashing.equal(block, offset + valueOffset(keyLength), expected, expectedOffset, expectedLength)) {
                return CONDITION_FAILED;
            }
        }
        return put(position, hashTag, key, keyOffset, keyLength, value, valueOffset, valueLength, expireAtMs, nowMs);
    }

    @Override
    public int increment(DirectBuffer key, int keyOffset, int keyLength, long delta, long expireAtMsIfCreated,
                         long nowMs) {
        checkKey(key, keyOffset, keyLength);
        checkExpireAt(expireAtMsIfCreated);
        final int hashTag = (int) KeyHashing.hash(key, keyOffset, keyLength);
        final int position = findSlot(key, keyOffset, keyLength, hashTag);
        long current = 0;
        long expireAtMs = expireAtMsIfCreated;
        if (position >= 0 && isLive(position, nowMs)) {
            final int ref = EntryIndex.ref(index.slotAt(position));
            final UnsafeBuffer block = allocator.buffer(slabId(ref));
            final int offset = offset(ref);
            if (!decimal.parse(block, offset + valueOffset(keyLength), block.getInt(offset + VALUE_LENGTH_OFFSET))) {
                return WRONG_TYPE;
            }
            current = decimal.value();
            expireAtMs = block.getLong(offset + EXPIRE_AT_OFFSET);
        }
        final long result = current + delta;
        if (((current ^ result) & (delta ^ result)) < 0) {
            return WRONG_TYPE;
        }
        final int length = DecimalCodec.format(result, decimalScratch, 0);
        final int outcome = put(position, hashTag, key, keyOffset, keyLength, decimalScratch, 0, length, expireAtMs, nowMs);
        if (outcome == OK) {
            lastIncrementResult = result;
        }
        return outcome;
    }

    @Override
    public long lastIncrementResult() {
        return lastIncrementResult;
    }

    @Override
    public boolean evict(DirectBuffer key, int keyOffset, int keyLength) {
        checkKey(key, keyOffset, keyLength);
        final int position = findSlot(key, keyOffset, keyLength, (int) KeyHashing.hash(key, keyOffset, keyLength));
        if (position < 0) {
            return false;
        }
        removeAt(position);
        evictedCount++;
        return true;
    }

    @Override
    public boolean expire(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        checkKey(key, keyOffset, keyLength);
        final int position = findSlot(key, keyOffset, keyLength, (int) KeyHashing.hash(key, keyOffset, keyLength));
        if (position < 0 || isLive(position, nowMs)) {
            return false;
        }
        removeAt(position);
        expiredCount++;
        return true;
    }

    @Override
    public int findExpired(long nowMs, int maxSlots, int maxKeys, KeyConsumer out) {
        if (maxSlots < 0 || maxKeys < 0) {
            throw new IllegalArgumentException("max slots " + maxSlots + " and max keys " + maxKeys
                + " must not be negative");
        }
        expiredScanner.start(nowMs, maxKeys, out);
        findCursor = scan(findCursor, maxSlots, expiredScanner);
        return expiredScanner.found;
    }

    /** Passes the keys of expired entries on, up to a limit. */
    private static final class KeyScanner implements ScanVisitor {
        private long nowMs;
        private int maxKeys;
        private KeyConsumer out;
        int found;

        void start(long nowMs, int maxKeys, KeyConsumer out) {
            this.nowMs = nowMs;
            this.maxKeys = maxKeys;
            this.out = out;
            this.found = 0;
        }

        @Override
        public boolean visit(DirectBuffer key, int keyLength, long expireAtMs, int accessStamp) {
            if (found >= maxKeys) {
                return false;
            }
            if (expireAtMs != 0 && expireAtMs <= nowMs) {
                out.accept(key, 0, keyLength);
                found++;
            }
            return true;
        }
    }

    /** What {@link #scan} hands each stable entry to; false stops the scan before the next slot. */
    interface ScanVisitor {
        boolean visit(DirectBuffer key, int keyLength, long expireAtMs, int accessStamp);
    }

    /**
     * Reader-side walk of up to {@code maxSlots} slots of the published index from {@code position}
     * (wrapping), passing each entry that held still while its key was copied. Entries that moved
     * are skipped: callers only look for hints that the replicated op re-checks at apply time.
     * Returns where the next walk should start.
     */
    int scan(int position, int maxSlots, ScanVisitor visitor) {
        final UnsafeBuffer table = index.publishedTable();
        final int slots = table.capacity() / SLOT_LENGTH;
        if (slots == 0) {
            return 0;
        }
        final int mask = slots - 1;
        final int limit = Math.min(maxSlots, slots);
        int at = position & mask;
        for (int scanned = 0; scanned < limit; scanned++) {
            // Epoch before the slot, table check after it: then the slot was current while the epoch
            // held, and a slab released and re-carved under its ref moves the epoch before the re-check.
            final int epochAtStart = allocator.layoutEpoch();
            final long slot = table.getLongVolatile(at * SLOT_LENGTH);
            if (index.publishedTable() != table) {
                return at; // rebuilt: the old table's slots are no longer kept current
            }
            at = (at + 1) & mask;
            if (slot == EMPTY || slot == TOMBSTONE) {
                continue;
            }
            final int ref = EntryIndex.ref(slot);
            final UnsafeBuffer block = allocator.buffer(slabId(ref));
            final int offset = offset(ref);
            if (block == null || offset + EntryDescriptor.HEADER_LENGTH > block.capacity()) {
                continue;
            }
            final int version = block.getIntVolatile(offset + VERSION_OFFSET);
            if ((version & 1) != 0) {
                continue;
            }
            final int keyLength = block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF;
            final int valueLength = block.getInt(offset + VALUE_LENGTH_OFFSET);
            final long expireAtMs = block.getLong(offset + EXPIRE_AT_OFFSET);
            if (keyLength == 0 || valueLength < 0 || entryLength(keyLength, valueLength) > block.capacity() - offset) {
                continue;
            }
            scanKey.putBytes(0, block, offset + KEY_OFFSET, keyLength);
            final int stamp = block.getIntOpaque(offset + ACCESS_STAMP_OFFSET);
            VarHandle.loadLoadFence();
            if (block.getIntVolatile(offset + VERSION_OFFSET) != version || allocator.layoutEpoch() != epochAtStart) {
                continue;
            }
            if (!visitor.visit(scanKey, keyLength, expireAtMs, stamp)) {
                return (at - 1) & mask;
            }
        }
        return at;
    }

    @Override
    public int evictionCandidates(EvictionPolicy policy, int sampleSize, int max, long nowMs, KeyConsumer out) {
        return evictionSampler.sample(this, policy, sampleSize, max, nowMs, out);
    }

    @Override
    public int sweepExpired(long nowMs, int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("max entries " + maxEntries + " must not be negative");
        }
        final int capacity = index.capacity();
        if (capacity == 0) {
            return 0;
        }
        final int mask = capacity - 1;
        final long scanLimit = Math.min(capacity, Math.max(64L, maxEntries * 16L));
        int freed = 0;
        for (long scanned = 0; scanned < scanLimit && freed < maxEntries; scanned++) {
            final int position = sweepCursor & mask;
            sweepCursor = position + 1;
            final long slot = index.slotAt(position);
            if (slot != EMPTY && slot != TOMBSTONE && !isLive(position, nowMs)) {
                removeAt(position);
                expiredCount++;
                freed++;
            }
        }
        return freed;
    }

    @Override
    public long forEachEntry(long nowMs, EntryConsumer consumer) {
        final UnsafeBuffer table = index.table();
        long visited = 0;
        for (int position = 0, capacity = index.capacity(); position < capacity; position++) {
            final long slot = table.getLong(position * SLOT_LENGTH);
            if (slot != EMPTY && slot != TOMBSTONE) {
                final int ref = EntryIndex.ref(slot);
                final UnsafeBuffer block = allocator.buffer(slabId(ref));
                final int offset = offset(ref);
                final long expireAtMs = block.getLong(offset + EXPIRE_AT_OFFSET);
                if (expireAtMs == 0 || expireAtMs > nowMs) {
                    final int keyLength = block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF;
                    consumer.accept(block, offset + KEY_OFFSET, keyLength, offset + valueOffset(keyLength),
                        block.getInt(offset + VALUE_LENGTH_OFFSET), expireAtMs);
                    visited++;
                }
            }
        }
        return visited;
    }

    @Override
    public long size() {
        return keys;
    }

    @Override
    public void clear() {
        index.clear();
        allocator.clear();
        keys = 0;
        liveBytes = 0;
        sweepCursor = 0;
        structureChanged();
    }

    @Override
    public StoreStats stats() {
        final long allocatedBytes = index.allocatedBytes() + allocator.allocatedBytes();
        return new StoreStats(keys, liveBytes, allocatedBytes, allocator.freeBytes(), expiredCount, evictedCount);
    }

    /** Returns all memory to the budget. Readers must have stopped using the store. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            clear();
        }
    }

    // ---------------------------------------------------------------- writer internals

    EntryIndex index() {
        return index;
    }

    SlabAllocator allocator() {
        return allocator;
    }

    /** Index position of the key, or {@code -(insertPosition + 1)} when absent. */
    private int findSlot(DirectBuffer key, int keyOffset, int keyLength, int hashTag) {
        final int capacity = index.capacity();
        if (capacity == 0) {
            return -1;
        }
        final UnsafeBuffer table = index.table();
        final int mask = capacity - 1;
        int position = hashTag & mask;
        int firstTombstone = -1;
        for (int probes = 0; probes < capacity; probes++) {
            final long slot = table.getLong(position * SLOT_LENGTH);
            if (slot == EMPTY) {
                return -((firstTombstone >= 0 ? firstTombstone : position) + 1);
            }
            if (slot == TOMBSTONE) {
                if (firstTombstone < 0) {
                    firstTombstone = position;
                }
            } else if (EntryIndex.hashTag(slot) == hashTag) {
                final int ref = EntryIndex.ref(slot);
                final UnsafeBuffer block = allocator.buffer(slabId(ref));
                final int offset = offset(ref);
                if ((block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF) == keyLength
                    && KeyHashing.equal(block, offset + KEY_OFFSET, key, keyOffset, keyLength)) {
                    return position;
                }
            }
            position = (position + 1) & mask;
        }
        return -(firstTombstone + 1);
    }

    private boolean isLive(int position, long nowMs) {
        final int ref = EntryIndex.ref(index.slotAt(position));
        final long expireAtMs = allocator.buffer(slabId(ref)).getLong(offset(ref) + EXPIRE_AT_OFFSET);
        return expireAtMs == 0 || expireAtMs > nowMs;
    }

    /** Inserts at or replaces the entry found by {@link #findSlot}; returns OK or FULL. */
    private int put(int position, int hashTag, DirectBuffer key, int keyOffset, int keyLength,
                    DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        final long newLength = entryLength(keyLength, valueLength);
        if (position >= 0) {
            final int oldRef = EntryIndex.ref(index.slotAt(position));
            final UnsafeBuffer oldBlock = allocator.buffer(slabId(oldRef));
            final int oldOffset = offset(oldRef);
            final long oldExpireAtMs = oldBlock.getLong(oldOffset + EXPIRE_AT_OFFSET);
            final int oldValueLength = oldBlock.getInt(oldOffset + VALUE_LENGTH_OFFSET);
            if (SlabAllocator.fitsInPlace(oldBlock, oldOffset, newLength)) {
                SlabAllocator.markOdd(oldBlock, oldOffset);
                writeValue(oldBlock, oldOffset, keyLength, value, valueOffset, valueLength, expireAtMs);
                publish(oldBlock, oldOffset);
            } else {
                final int ref = allocator.allocate(newLength);
                if (ref == 0) {
                    return FULL;
                }
                writeEntry(ref, key, keyOffset, keyLength, value, valueOffset, valueLength, expireAtMs, nowMs);
                index.replaceAt(position, EntryIndex.slot(ref, hashTag));
                allocator.free(oldRef);
                structureChanged();
            }
            if (oldExpireAtMs != 0 && oldExpireAtMs <= nowMs) {
                expiredCount++;
            }
            liveBytes += valueLength - oldValueLength;
            return OK;
        }
        int insertPosition = -position - 1;
        if (index.needsRebuildToInsertAt(insertPosition)) {
            if (!index.rebuild()) {
                return FULL;
            }
            structureChanged();
            insertPosition = -findSlot(key, keyOffset, keyLength, hashTag) - 1;
        }
        final int ref = allocator.allocate(newLength);
        if (ref == 0) {
            return FULL;
        }
        writeEntry(ref, key, keyOffset, keyLength, value, valueOffset, valueLength, expireAtMs, nowMs);
        index.insertAt(insertPosition, EntryIndex.slot(ref, hashTag));
        keys++;
        liveBytes += keyLength + valueLength;
        return OK;
    }

    private void writeEntry(int ref, DirectBuffer key, int keyOffset, int keyLength,
                            DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        final UnsafeBuffer block = allocator.buffer(slabId(ref));
        final int offset = offset(ref);
        block.putShort(offset + KEY_LENGTH_OFFSET, (short) keyLength);
        block.putIntOpaque(offset + ACCESS_STAMP_OFFSET, AccessStamp.initial(nowMs));
        block.putBytes(offset + KEY_OFFSET, key, keyOffset, keyLength);
        writeValue(block, offset, keyLength, value, valueOffset, valueLength, expireAtMs);
        publish(block, offset);
    }

    private static void writeValue(UnsafeBuffer block, int offset, int keyLength,
                                   DirectBuffer value, int valueOffset, int valueLength, long expireAtMs) {
        block.putInt(offset + VALUE_LENGTH_OFFSET, valueLength);
        block.putLong(offset + EXPIRE_AT_OFFSET, expireAtMs);
        block.putBytes(offset + valueOffset(keyLength), value, valueOffset, valueLength);
    }

    /** Makes an odd (being written) block readable again. */
    private static void publish(UnsafeBuffer block, int offset) {
        block.putIntRelease(offset + VERSION_OFFSET, block.getInt(offset + VERSION_OFFSET) + 1);
    }

    private void removeAt(int position) {
        final int ref = EntryIndex.ref(index.slotAt(position));
        final UnsafeBuffer block = allocator.buffer(slabId(ref));
        final int offset = offset(ref);
        liveBytes -= (block.getShort(offset + KEY_LENGTH_OFFSET) & 0xFFFF) + block.getInt(offset + VALUE_LENGTH_OFFSET);
        keys--;
        index.removeAt(position);
        allocator.free(ref);
        structureChanged();
    }

    private void structureChanged() {
        structureVersion = structureVersion + 1;
    }

    /**
     * Checks the arguments before anything changes: an exception thrown halfway through a write
     * would leave an entry with an odd version that readers wait on forever.
     */
    private static void checkKey(DirectBuffer key, int keyOffset, int keyLength) {
        if (keyLength < 1 || keyLength > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key length " + keyLength + " must be in [1, " + MAX_KEY_LENGTH + "]");
        }
        key.boundsCheck(keyOffset, keyLength);
    }

    private static void checkValue(DirectBuffer value, int valueOffset, int valueLength) {
        if (valueLength < 0 || valueLength > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value length " + valueLength + " must be in [0, " + MAX_VALUE_LENGTH + "]");
        }
        value.boundsCheck(valueOffset, valueLength);
    }

    private static void checkExpireAt(long expireAtMs) {
        if (expireAtMs < 0) {
            throw new IllegalArgumentException("expire at " + expireAtMs + " ms must not be negative");
        }
    }

    @Override
    public void writeSnapshot(java.io.OutputStream out, long nowMs) throws java.io.IOException {
        new StoreSnapshotWriter().write(this, nowMs, out);
    }

    @Override
    public void writeSnapshot(java.io.OutputStream out, long nowMs, java.util.function.LongPredicate keyHash,
                              int asPartitionId) throws java.io.IOException {
        new StoreSnapshotWriter().write(this, nowMs, out, keyHash, asPartitionId);
    }

    @Override
    public void readSnapshot(java.io.InputStream in) throws java.io.IOException {
        new StoreSnapshotReader().read(in, this);
    }
}
