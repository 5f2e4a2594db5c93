package io.shardgrid.server.core.ports;

import io.shardgrid.common.routing.PartitionMap;

/** A split done: {@code parentId} owns the lower half of its former range, {@code childId} the upper; {@code map} records it. */
public record SplitResult(int parentId, int childId, PartitionMap map) {
}
