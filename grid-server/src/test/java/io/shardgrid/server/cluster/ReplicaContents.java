package io.shardgrid.server.cluster;

import io.shardgrid.server.GridNode;
import io.shardgrid.server.core.ports.PartitionStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    /**
     * SHA-256 over every entry the node's replica of {@code partition} holds (expired-but-unfreed
     * ones included), in key order: key, whole value, deadline. Equal on two replicas exactly when
     * they hold the same entries.
     */
    static String digest(GridNode node, int partition) {
        PartitionStore store = node.raft().store(partition);
        Map<String, byte[]> entries = new TreeMap<>();
        store.forEachEntry(0, (buffer, keyOffset, keyLength, valueOffset, valueLength, expireAtMs) -> {
            byte[] key = new byte[keyLength];
            buffer.getBytes(keyOffset, key);
            byte[] entry = new byte[Integer.BYTES + valueLength + Long.BYTES];
            ByteBuffer.wrap(entry).putInt(valueLength).put(value(buffer, valueOffset, valueLength)).putLong(expireAtMs);
            entries.put(HexFormat.of().formatHex(key), entry);
        });
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            entries.forEach((key, entry) -> {
                sha.update(key.getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) 0);
                sha.update(entry);
            });
            return entries.size() + " entries, sha256 " + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] value(org.agrona.DirectBuffer buffer, int offset, int length) {
        byte[] value = new byte[length];
        buffer.getBytes(offset, value);
        return value;
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
