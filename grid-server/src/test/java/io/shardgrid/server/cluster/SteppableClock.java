package io.shardgrid.server.cluster;

import io.shardgrid.server.core.ports.Clock;
import java.util.concurrent.atomic.AtomicLong;

/** The system clock plus an offset a test steps forward or back, as NTP stepping a node's clock would. */
final class SteppableClock implements Clock {
    private final AtomicLong offsetMs = new AtomicLong();

    @Override
    public long nowMs() {
        return System.currentTimeMillis() + offsetMs.get();
    }

    /** Sets how far this clock is ahead of the system clock (negative: behind). */
    void setOffsetMs(long offset) {
        offsetMs.set(offset);
    }
}
