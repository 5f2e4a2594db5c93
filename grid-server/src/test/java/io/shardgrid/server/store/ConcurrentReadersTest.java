package io.shardgrid.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.KeyConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One writer rewrites, deletes, re-inserts and occasionally clears keys while readers check that
 * every value they get is one the writer wrote for that key: payload derived from (key, version),
 * checksum over the whole value, versions never going backwards for one reader. Value lengths
 * cross size classes (in-place rewrites, moves to new blocks, reuse of freed blocks, dedicated
 * chunks, release and re-carving of emptied slabs) and the key space grows so the index is
 * rebuilt under the readers. Meanwhile a housekeeping thread walks the index the way the leader
 * does ({@code findExpired}, {@code evictionCandidates}) and checks that every key it is handed
 * is one the writer could have written.
 */
class ConcurrentReadersTest {
    private static final int READERS = 3;
    private static final int WRITES = 300_000;
    private static final int MAX_KEYS = 20_000;
    private static final long MAX_READS_PER_READER = 20_000_000;

    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong keysFound = new AtomicLong();
    private volatile boolean writerDone;
    private volatile int keySpace = 16;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void readersOnlySeeValuesTheWriterWrote() throws InterruptedException {
        final MemoryBudget budget = new MemoryBudget(1L << 30);
        try (OffHeapPartitionStore store = new OffHeapPartitionStore(0, budget)) {
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                final int seed = r;
                final Thread reader = new Thread(() -> {
                    try {
                        read(store, seed);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, Thread.currentThread().getName() + " threw " + t);
                    }
                }, "reader-" + r);
                readers.add(reader);
                reader.start();
            }
            final Thread housekeeper = new Thread(() -> {
                try {
                    housekeep(store);
                } catch (Throwable t) {
                    failure.compareAndSet(null, "housekeeper threw " + t);
                }
            }, "housekeeper");
            housekeeper.start();
            try {
                write(store);
            } finally {
                writerDone = true;
                for (Thread reader : readers) {
                    reader.join();
                }
                housekeeper.join();
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(hits.get()).isPositive();
        assertThat(keysFound.get()).isPositive();
        assertThat(budget.usedBytes()).isZero();
    }

    private void write(OffHeapPartitionStore store) {
        final long[] versions = new long[MAX_KEYS];
        final UnsafeBuffer key = new UnsafeBuffer(new byte[Integer.BYTES]);
        final ExpandableDirectByteBuffer value = new ExpandableDirectByteBuffer(64);
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < WRITES && failure.get() == null; i++) {
            if (i % 10 == 0 && keySpace < MAX_KEYS) {
                keySpace++;
            }
            if (i == WRITES / 4 || i == 3 * WRITES / 4) {
                store.clear();
            }
            if (i == WRITES / 2) {
                deleteAll(store, key);
            }
            final int keyId = random.nextInt(keySpace);
            key.putInt(0, keyId);
            if (random.nextInt(20) == 0) {
                store.delete(key, 0, Integer.BYTES, 0);
                continue;
            }
            final long version = ++versions[keyId];
            final int length = encode(value, keyId, version);
            // Every other version carries a deadline of 1: live for the readers (at 0), expired for the housekeeper.
            final long expireAtMs = version % 2;
            if (store.set(key, 0, Integer.BYTES, value, 0, length, expireAtMs, 0) != OffHeapPartitionStore.OK) {
                failure.compareAndSet(null, "writer got FULL at write " + i);
            }
        }
    }

    /** Empties every slab without clear(), so slabs go back to the budget and get re-carved. */
    private void deleteAll(OffHeapPartitionStore store, UnsafeBuffer key) {
        for (int keyId = 0; keyId < keySpace; keyId++) {
            key.putInt(0, keyId);
            store.delete(key, 0, Integer.BYTES, 0);
        }
        if (store.size() != 0) {
            failure.compareAndSet(null, "delete-all left " + store.size() + " keys");
        }
    }

    private void read(OffHeapPartitionStore store, int seed) {
        final long[] lastSeen = new long[MAX_KEYS];
        final UnsafeBuffer key = new UnsafeBuffer(new byte[Integer.BYTES]);
        final ExpandableDirectByteBuffer dst = new ExpandableDirectByteBuffer(64);
        final SplittableRandom random = new SplittableRandom(seed);
        long localHits = 0;
        for (long n = 0; n < MAX_READS_PER_READER && !writerDone && failure.get() == null; n++) {
            final int keyId = random.nextInt(keySpace);
            key.putInt(0, keyId);
            final int length = store.get(key, 0, Integer.BYTES, 0, dst, 0);
            if (length < 0) {
                continue;
            }
            final String problem = check(dst, length, keyId, lastSeen);
            if (problem != null) {
                failure.compareAndSet(null, Thread.currentThread().getName() + ": " + problem);
            }
            localHits++;
        }
        hits.addAndGet(localHits);
    }

    private void housekeep(OffHeapPartitionStore store) {
        final KeyCheck check = new KeyCheck();
        while (!writerDone && failure.get() == null) {
            store.findExpired(1, 4096, 512, check);
            store.evictionCandidates(EvictionPolicy.LRU, 80, 16, 0, check);
            store.evictionCandidates(EvictionPolicy.VOLATILE_TTL, 80, 16, 0, check);
        }
    }

    /** A key handed to the housekeeper must be a key id the writer uses. */
    private final class KeyCheck implements KeyConsumer {
        @Override
        public void accept(DirectBuffer buffer, int offset, int length) {
            if (length != Integer.BYTES) {
                failure.compareAndSet(null, "housekeeper got a key of " + length + " bytes");
                return;
            }
            final int keyId = buffer.getInt(offset);
            if (keyId < 0 || keyId >= MAX_KEYS) {
                failure.compareAndSet(null, "housekeeper got key id " + keyId);
            }
            keysFound.incrementAndGet();
        }
    }

    /** Value: | key id int | version long | payload | checksum long |, length chosen by version. */
    static int encode(MutableDirectBuffer value, int keyId, long version) {
        final int length = lengthFor(keyId, version);
        value.putInt(0, keyId);
        value.putLong(4, version);
        for (int i = 12; i < length - 8; i++) {
            value.putByte(i, payloadByte(keyId, version, i));
        }
        value.putLong(length - 8, checksum(value, length - 8));
        return length;
    }

    private static String check(MutableDirectBuffer value, int length, int keyId, long[] lastSeen) {
        if (length < 20) {
            return "key " + keyId + ": value of " + length + " bytes is too short";
        }
        final int storedKey = value.getInt(0);
        final long version = value.getLong(4);
        if (storedKey != keyId) {
            return "key " + keyId + " returned the value of key " + storedKey;
        }
        if (length != lengthFor(keyId, version)) {
            return "key " + keyId + " version " + version + ": length " + length;
        }
        if (value.getLong(length - 8) != checksum(value, length - 8)) {
            return "key " + keyId + " version " + version + ": checksum mismatch (torn value)";
        }
        for (int i = 12; i < length - 8; i++) {
            if (value.getByte(i) != payloadByte(keyId, version, i)) {
                return "key " + keyId + " version " + version + ": payload byte " + i + " differs";
            }
        }
        if (version < lastSeen[keyId]) {
            return "key " + keyId + " went back from version " + lastSeen[keyId] + " to " + version;
        }
        lastSeen[keyId] = version;
        return null;
    }

    private static int lengthFor(int keyId, long version) {
        final long mix = (keyId * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL);
        final int bucket = (int) ((mix >>> 40) & 0xFF);
        if (bucket == 0) {
            return 17_000 + (int) ((mix >>> 8) & 0x3FFF);
        }
        if (bucket < 32) {
            return 20 + (int) ((mix >>> 8) & 0x7FF);
        }
        return 20 + (int) ((mix >>> 8) & 0x3F);
    }

    private static byte payloadByte(int keyId, long version, int index) {
        return (byte) (keyId * 31 + version * 17 + index);
    }

    private static long checksum(MutableDirectBuffer value, int length) {
        long hash = 0xCBF29CE484222325L;
        for (int i = 0; i < length; i++) {
            hash = (hash ^ (value.getByte(i) & 0xFF)) * 0x100000001B3L;
        }
        return hash;
    }
}
