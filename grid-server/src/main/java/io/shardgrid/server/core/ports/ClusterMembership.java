package io.shardgrid.server.core.ports;

import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;

/** Adds nodes to the cluster, for the admin API's and HTTP {@code /join}. Implemented over the meta group. */
public interface ClusterMembership {
    /**
     * Adds {@code joiner} (or takes back a restarted node) and returns the map that includes it.
     * Safe to repeat: steps already done are skipped.
     */
    PartitionMap join(NodeDescriptor joiner) throws IOException;
}
