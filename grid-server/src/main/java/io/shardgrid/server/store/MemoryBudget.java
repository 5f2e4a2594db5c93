package io.shardgrid.server.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide byte budget shared by every partition store on a node. Stores reserve memory
 * before they allocate it and release exactly what they reserved when they drop it, so
 * {@link #usedBytes()} is the sum of what every store reports as allocated.
 *
 * <p>Thread-safe: partitions have different writer threads, so reservations race and are settled
 * with a compare-and-set on one counter. Reservations happen per slab or index table, not per
 * entry, so contention stays low.
 */
public final class MemoryBudget {
    private final long capacityBytes;
    private final AtomicLong usedBytes = new AtomicLong();

    public MemoryBudget(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity " + capacityBytes + " bytes must not be negative");
        }
        this.capacityBytes = capacityBytes;
    }

    /** Reserves {@code bytes} if the budget has room for them; returns whether it did. */
    public boolean tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("reservation of " + bytes + " bytes must not be negative");
        }
        while (true) {
            final long used = usedBytes.get();
            if (bytes > capacityBytes - used) {
                return false;
            }
            if (usedBytes.compareAndSet(used, used + bytes)) {
                return true;
            }
        }
    }

    /**
     * Reserves {@code bytes} if the budget has room for them, or, with {@code mayOvershoot}, in any
     * case (the used bytes may then pass the capacity); returns whether it did. A replica applying
     * a write its partition's leader already admitted overshoots rather than refuse it: refusing
     * would leave it holding other entries than its peers (see docs/MEMORY.md).
     */
    public boolean reserve(long bytes, boolean mayOvershoot) {
        if (!mayOvershoot) {
            return tryReserve(bytes);
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("reservation of " + bytes + " bytes must not be negative");
        }
        usedBytes.addAndGet(bytes);
        return true;
    }

    /** Returns {@code bytes} previously reserved with {@link #tryReserve} or {@link #reserve}. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("release of " + bytes + " bytes must not be negative");
        }
        final long after = usedBytes.addAndGet(-bytes);
        if (after < 0) {
            usedBytes.addAndGet(bytes);
            throw new IllegalStateException("release of " + bytes + " bytes exceeds the " + (after + bytes)
                + " bytes reserved");
        }
    }

    public long usedBytes() {
        return usedBytes.get();
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    /** Capacity minus used bytes: negative while the budget is overshot. */
    public long availableBytes() {
        return capacityBytes - usedBytes.get();
    }

    @Override
    public String toString() {
        return "MemoryBudget{used=" + usedBytes.get() + ", capacity=" + capacityBytes + '}';
    }
}
