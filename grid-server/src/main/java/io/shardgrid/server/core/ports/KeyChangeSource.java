package io.shardgrid.server.core.ports;

/** Where near-cache invalidations come from: the keys the partitions this node leads apply. */
public interface KeyChangeSource {
    /** Registers {@code listener} for every partition this node leads, now and later. */
    void onKeyChange(KeyChangeListener listener);
}
