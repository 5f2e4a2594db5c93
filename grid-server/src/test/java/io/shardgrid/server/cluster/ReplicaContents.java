package io.shardgrid.server.cluster;

import io.shardgrid.server.GridNode;
import io.shardgrid.server.core.ports.PartitionStore;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a partition replica holds, entry by entry (expired-but-unfreed entries included), for
 * comparing replicas after expiry and eviction. Reads the store from the test thread, so call it
 * once the partition is quiet and compare inside an await: a read racing the apply thread may
 * see a moment between two ops.
 */
final class ReplicaContents {
    private ReplicaContents() {
    }

    /** key → value@deadline of every entry the node's replica of {@code partition} holds. */
    static Map<String, String> of(GridNode node, int partition) {
        PartitionStore store = node.raft().store(partition);
        Map<String, String> entries = new TreeMap<>();
        store.forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) -> {
            byte[] key = new byte[keyLength];
            buffer.getBytes(keyOffset, key);
            byte[] value = new byte[valueLength];
            buffer.getBytes(valueOffset, value);
            entries.put(new String(key, StandardCharsets.UTF_8),
                HexFormat.of().formatHex(value, 0, Math.min(valueLength, 16)) + "/" + valueLength + "@" + expireAtMs);
        });
        return entries;
    }
}
