package io.shardgrid.bench.load;

import io.shardgrid.bench.jmh.ZipfianGenerator;
import java.util.SplittableRandom;

/**
 * Which operation and which key comes next: a read ratio, a key space of {@code keyCount} keys of
 * {@code keySize} bytes, uniform or Zipfian popularity. Not thread-safe: one per issuing thread.
 */
final class Workload {
    private final double readRatio;
    private final long keyCount;
    private final int keySize;
    private final ZipfianGenerator zipf;
    private final SplittableRandom random;

    Workload(double readRatio, long keyCount, int keySize, double zipfExponent, long seed) {
        if (readRatio < 0 || readRatio > 1) {
            throw new IllegalArgumentException("read ratio " + readRatio + " must be in [0, 1]");
        }
        if (keyCount < 1 || keySize < 8) {
            throw new IllegalArgumentException("need at least 1 key of at least 8 bytes: " + keyCount + " keys of "
                + keySize + " bytes");
        }
        this.readRatio = readRatio;
        this.keyCount = keyCount;
        this.keySize = keySize;
        this.random = new SplittableRandom(seed);
        this.zipf = zipfExponent > 0 ? new ZipfianGenerator(keyCount, zipfExponent, seed) : null;
    }

    boolean nextIsRead() {
        return random.nextDouble() < readRatio;
    }

    long nextKeyIndex() {
        if (zipf == null) {
            return random.nextLong(keyCount);
        }
        // Scramble ranks so hot keys spread over partitions instead of clustering.
        return Long.remainderUnsigned(mix(zipf.next()), keyCount);
    }

    byte[] key(long index) {
        byte[] key = new byte[keySize];
        long v = index;
        for (int i = keySize - 1; i >= 0; i--) {
            key[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        key[0] = 'k';
        return key;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
