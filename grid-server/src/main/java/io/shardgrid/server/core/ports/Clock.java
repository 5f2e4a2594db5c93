package io.shardgrid.server.core.ports;

/** Wall-clock milliseconds, injected so tests and replicas never read the clock behind our back. */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = System::currentTimeMillis;

    long nowMs();
}
