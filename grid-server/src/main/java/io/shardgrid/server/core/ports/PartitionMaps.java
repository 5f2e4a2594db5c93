package io.shardgrid.server.core.ports;

import io.shardgrid.common.routing.PartitionMap;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The partition map as this node knows it, for the APIs that serve it (routing, admin, HTTP
 * forwarding, metrics). Implemented by the consensus package over the meta group.
 */
public interface PartitionMaps {
    /** The map as the meta group committed it; null before the node bootstrapped or joined. */
    PartitionMap map();

    /** {@link #map()} with leader hints refreshed from this node's own replicas: what clients route by. */
    PartitionMap routingMap();

    /** The epoch of {@link #map()}; 0 without one. */
    long mapEpoch();

    /** The meta group's leader as this node knows it: where placement runs. */
    Optional<String> metaLeaderId();

    /** Calls {@code listener} with every newer map this node learns. */
    void onMapChange(Consumer<PartitionMap> listener);
}
