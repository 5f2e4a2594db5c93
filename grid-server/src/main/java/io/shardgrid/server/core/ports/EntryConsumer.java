package io.shardgrid.server.core.ports;

import org.agrona.DirectBuffer;

/** Receives one entry as a view into store memory, valid only for the duration of the call. */
@FunctionalInterface
public interface EntryConsumer {
    void accept(DirectBuffer buffer, int keyOffset, int keyLength, int valueOffset, int valueLength, long expireAtMs);
}
