package io.shardgrid.server.store;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The 32-bit access stamp of an entry: a 24-bit clock of the last access in units of 1024 ms (it
 * wraps after about 194 days, far beyond any useful idle time) and an 8-bit logarithmic access
 * counter in the style of Redis's LFU: it starts at {@link #INITIAL_COUNT}, grows with probability
 * {@code 1 / ((count - INITIAL_COUNT) * LOG_FACTOR + 1)} per access and decays by one per idle
 * minute. Readers update it racily; a lost update only blurs a ranking.
 */
final class AccessStamp {
    static final int INITIAL_COUNT = 5;
    static final int LOG_FACTOR = 10;
    private static final int CLOCK_SHIFT_MS = 10;
    private static final int CLOCK_MASK = 0xFF_FFFF;
    private static final int TICKS_PER_MINUTE = 60_000 >> CLOCK_SHIFT_MS;

    private AccessStamp() {
    }

    static int initial(long nowMs) {
        return (clock(nowMs) << 8) | INITIAL_COUNT;
    }

    /** The stamp after one more access at {@code nowMs}. */
    static int touched(int stamp, long nowMs) {
        int count = decayedCount(stamp, nowMs);
        if (count < 255) {
            final int base = Math.max(count - INITIAL_COUNT, 0);
            if (base == 0 || ThreadLocalRandom.current().nextInt(base * LOG_FACTOR + 1) == 0) {
                count++;
            }
        }
        return (clock(nowMs) << 8) | count;
    }

    /** Ticks (about one second each) since the last access. */
    static int idleTicks(int stamp, long nowMs) {
        return (clock(nowMs) - (stamp >>> 8)) & CLOCK_MASK;
    }

    static int decayedCount(int stamp, long nowMs) {
        return Math.max((stamp & 0xFF) - idleTicks(stamp, nowMs) / TICKS_PER_MINUTE, 0);
    }

    private static int clock(long nowMs) {
        return (int) (nowMs >>> CLOCK_SHIFT_MS) & CLOCK_MASK;
    }
}
