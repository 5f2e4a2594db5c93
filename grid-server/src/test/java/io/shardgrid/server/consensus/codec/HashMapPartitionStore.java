package io.shardgrid.server.consensus.codec;

import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.StoreStats;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A tiny {@link PartitionStore} over a {@link HashMap}, for tests of code that drives a store. It
 * follows the port's contract (expiry at or before now reads as absent, increment over decimal
 * text) and records the {@code nowMs} of every write so tests can check where time came from.
 */
final class HashMapPartitionStore implements PartitionStore {
    private record Entry(byte[] value, long expireAtMs) {
        boolean liveAt(long nowMs) {
            return expireAtMs == 0 || expireAtMs > nowMs;
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final int maxEntries;
    private final List<Long> writeNowMs = new ArrayList<>();
    private long lastIncrementResult;
    private int evicted;

    HashMapPartitionStore(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    /** The {@code nowMs} passed to every mutating call, in call order. */
    List<Long> writeNowMs() {
        return writeNowMs;
    }

    /** Live entries as text, for comparing replicas. */
    Map<String, String> liveAt(long nowMs) {
        Map<String, String> live = new HashMap<>();
        entries.forEach((k, e) -> {
            if (e.liveAt(nowMs)) {
                live.put(k, new String(e.value, StandardCharsets.ISO_8859_1) + "@" + e.expireAtMs);
            }
        });
        return live;
    }

    @Override
    public int partitionId() {
        return 0;
    }

    @Override
    public int get(DirectBuffer key, int keyOffset, int keyLength, long nowMs, MutableDirectBuffer dst, int dstOffset) {
        Entry e = live(key(key, keyOffset, keyLength), nowMs);
        if (e == null) {
            return ABSENT;
        }
        dst.putBytes(dstOffset, e.value);
        return e.value.length;
    }

    @Override
    public long expireAtMs(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        Entry e = live(key(key, keyOffset, keyLength), nowMs);
        return e == null ? ABSENT : e.expireAtMs;
    }

    @Override
    public boolean admits(DirectBuffer key, int keyOffset, int keyLength, int valueLength) {
        return entries.containsKey(key(key, keyOffset, keyLength)) || entries.size() < maxEntries;
    }

    @Override
    public long admissionBytes(DirectBuffer key, int keyOffset, int keyLength, int valueLength) {
        return 0;
    }

    @Override
    public long roomBytes() {
        return Long.MAX_VALUE;
    }

    @Override
    public int set(DirectBuffer key, int keyOffset, int keyLength,
                   DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        writeNowMs.add(nowMs);
        return put(key(key, keyOffset, keyLength), bytes(value, valueOffset, valueLength), expireAtMs, nowMs);
    }

    @Override
    public boolean delete(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        writeNowMs.add(nowMs);
        String k = key(key, keyOffset, keyLength);
        boolean live = live(k, nowMs) != null;
        entries.remove(k);
        return live;
    }

    @Override
    public int compareAndSet(DirectBuffer key, int keyOffset, int keyLength,
                             boolean expectAbsent, DirectBuffer expected, int expectedOffset, int expectedLength,
                             DirectBuffer value, int valueOffset, int valueLength, long expireAtMs, long nowMs) {
        writeNowMs.add(nowMs);
        String k = key(key, keyOffset, keyLength);
        Entry current = live(k, nowMs);
        boolean holds = expectAbsent
            ? current == null
            : current != null && Arrays.equals(current.value, bytes(expected, expectedOffset, expectedLength));
        return holds ? put(k, bytes(value, valueOffset, valueLength), expireAtMs, nowMs) : CONDITION_FAILED;
    }

    @Override
    public int increment(DirectBuffer key, int keyOffset, int keyLength, long delta, long expireAtMsIfCreated, long nowMs) {
        writeNowMs.add(nowMs);
        String k = key(key, keyOffset, keyLength);
        Entry current = live(k, nowMs);
        long next;
        try {
            long base = current == null ? 0 : Long.parseLong(new String(current.value, StandardCharsets.US_ASCII));
            next = Math.addExact(base, delta);
        } catch (NumberFormatException | ArithmeticException notAnInteger) {
            return WRONG_TYPE;
        }
        long expireAtMs = current == null ? expireAtMsIfCreated : current.expireAtMs;
        int status = put(k, Long.toString(next).getBytes(StandardCharsets.US_ASCII), expireAtMs, nowMs);
        if (status == OK) {
            lastIncrementResult = next;
        }
        return status;
    }

    @Override
    public long lastIncrementResult() {
        return lastIncrementResult;
    }

    @Override
    public int sweepExpired(long nowMs, int maxEntries) {
        int before = entries.size();
        entries.values().removeIf(e -> !e.liveAt(nowMs));
        return before - entries.size();
    }

    @Override
    public long size() {
        return entries.size();
    }

    @Override
    public void clear() {
        entries.clear();
    }

    @Override
    public StoreStats stats() {
        return new StoreStats(entries.size(), 0, 0, 0, 0, 0);
    }

    @Override
    public void close() {
    }

    private int put(String key, byte[] value, long expireAtMs, long nowMs) {
        if (live(key, nowMs) == null && entries.size() >= maxEntries) {
            return FULL;
        }
        entries.put(key, new Entry(value, expireAtMs));
        return OK;
    }

    private Entry live(String key, long nowMs) {
        Entry e = entries.get(key);
        if (e != null && !e.liveAt(nowMs)) {
            entries.remove(key);
            return null;
        }
        return e;
    }

    private static String key(DirectBuffer buffer, int offset, int length) {
        return new String(bytes(buffer, offset, length), StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(DirectBuffer buffer, int offset, int length) {
        byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return copy;
    }

    /** Keys are held as ISO-8859-1 text, so a Java-serialized copy of the map is a faithful snapshot. */
    @Override
    public void writeSnapshot(java.io.OutputStream out, long nowMs) throws java.io.IOException {
        writeSnapshot(out, nowMs, hash -> true, partitionId());
    }

    @Override
    public void writeSnapshot(java.io.OutputStream out, long nowMs, java.util.function.LongPredicate keyHash,
                              int asPartitionId) throws java.io.IOException {
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        java.util.List<Map.Entry<String, Entry>> kept = entries.entrySet().stream()
            .filter(e -> keyHash.test(io.shardgrid.common.routing.Partitioner.hash(
                e.getKey().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))))
            .toList();
        data.writeInt(kept.size());
        for (Map.Entry<String, Entry> e : kept) {
            data.writeUTF(e.getKey());
            data.writeInt(e.getValue().value().length);
            data.write(e.getValue().value());
            data.writeLong(e.getValue().expireAtMs());
        }
        data.flush();
    }

    @Override
    public void readSnapshot(java.io.InputStream in) throws java.io.IOException {
        java.io.DataInputStream data = new java.io.DataInputStream(in);
        entries.clear();
        int n = data.readInt();
        for (int i = 0; i < n; i++) {
            String key = data.readUTF();
            byte[] value = new byte[data.readInt()];
            data.readFully(value);
            entries.put(key, new Entry(value, data.readLong()));
        }
    }

    @Override
    public long forEachEntry(long nowMs, io.shardgrid.server.core.ports.EntryConsumer consumer) {
        long n = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            long expireAtMs = e.getValue().expireAtMs();
            if (nowMs != 0 && expireAtMs != 0 && expireAtMs <= nowMs) {
                continue;
            }
            byte[] key = e.getKey().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            byte[] both = new byte[key.length + e.getValue().value().length];
            System.arraycopy(key, 0, both, 0, key.length);
            System.arraycopy(e.getValue().value(), 0, both, key.length, e.getValue().value().length);
            consumer.accept(new org.agrona.concurrent.UnsafeBuffer(both), 0, key.length, key.length,
                e.getValue().value().length, expireAtMs);
            n++;
        }
        return n;
    }

    @Override
    public boolean evict(DirectBuffer key, int keyOffset, int keyLength) {
        evicted++;
        return entries.remove(key(key, keyOffset, keyLength)) != null;
    }

    @Override
    public boolean expire(DirectBuffer key, int keyOffset, int keyLength, long nowMs) {
        writeNowMs.add(nowMs);
        String k = key(key, keyOffset, keyLength);
        Entry e = entries.get(k);
        if (e == null || e.liveAt(nowMs)) {
            return false;
        }
        entries.remove(k);
        return true;
    }

    @Override
    public int findExpired(long nowMs, int maxSlots, int maxKeys, io.shardgrid.server.core.ports.KeyConsumer out) {
        int n = 0;
        for (var e : entries.entrySet()) {
            if (n == maxKeys) {
                break;
            }
            if (!e.getValue().liveAt(nowMs)) {
                byte[] bytes = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
                out.accept(new org.agrona.concurrent.UnsafeBuffer(bytes), 0, bytes.length);
                n++;
            }
        }
        return n;
    }

    /** Counts evictions apart from deletes, as the real store does. */
    int evictedCount() {
        return evicted;
    }

    @Override
    public int evictionCandidates(io.shardgrid.server.core.ports.EvictionPolicy policy, int sampleSize, int max,
                                  long nowMs, io.shardgrid.server.core.ports.KeyConsumer out) {
        int n = 0;
        for (String key : entries.keySet()) {
            if (n == max) {
                break;
            }
            byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            out.accept(new org.agrona.concurrent.UnsafeBuffer(bytes), 0, bytes.length);
            n++;
        }
        return n;
    }
}
