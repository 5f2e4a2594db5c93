package io.shardgrid.server.store;

import java.nio.charset.StandardCharsets;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Small helpers so tests read as key/value strings while the store sees buffers. */
final class StoreTestSupport {
    private StoreTestSupport() {
    }

    static UnsafeBuffer bytes(String text) {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    static int set(OffHeapPartitionStore store, String key, String value, long expireAtMs, long nowMs) {
        final UnsafeBuffer k = bytes(key);
        final UnsafeBuffer v = bytes(value);
        return store.set(k, 0, k.capacity(), v, 0, v.capacity(), expireAtMs, nowMs);
    }

    /** The live value as a string, or null when absent. */
    static String get(OffHeapPartitionStore store, String key, long nowMs) {
        final UnsafeBuffer k = bytes(key);
        final ExpandableArrayBuffer dst = new ExpandableArrayBuffer(16);
        final int length = store.get(k, 0, k.capacity(), nowMs, dst, 0);
        return length < 0 ? null : dst.getStringWithoutLengthUtf8(0, length);
    }

    static boolean delete(OffHeapPartitionStore store, String key, long nowMs) {
        final UnsafeBuffer k = bytes(key);
        return store.delete(k, 0, k.capacity(), nowMs);
    }

    static int increment(OffHeapPartitionStore store, String key, long delta, long nowMs) {
        final UnsafeBuffer k = bytes(key);
        return store.increment(k, 0, k.capacity(), delta, 0, nowMs);
    }
}
