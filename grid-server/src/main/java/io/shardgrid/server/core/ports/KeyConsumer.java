package io.shardgrid.server.core.ports;

import org.agrona.DirectBuffer;

/** Receives a key as a view into store memory, valid only for the duration of the call. */
@FunctionalInterface
public interface KeyConsumer {
    void accept(DirectBuffer buffer, int offset, int length);
}
