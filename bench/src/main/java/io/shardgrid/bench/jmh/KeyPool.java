package io.shardgrid.bench.jmh;

import java.util.SplittableRandom;

/**
 * The benchmark key space and a pre-generated request stream over it, so that choosing the next key
 * inside a measured method is one masked increment and costs no allocation.
 *
 * <p>Key {@code i} is {@value #KEY_BYTES} bytes: a 64-bit bijective scramble of {@code i} followed by
 * {@code i} itself (big-endian), so keys are distinct by construction and their first bytes look
 * random. The request stream is {@code requestCount} keys laid out back to back in one
 * {@code byte[]}, in the order the benchmark asks for them; a measured method reads slot
 * {@code cursor & mask} sequentially, like a server reading keys out of a request buffer.
 *
 * <pre>
 *   requests: | key(seq[0]) 16 B | key(seq[1]) 16 B | ... | key(seq[requestCount-1]) 16 B |
 * </pre>
 *
 * <p>Distributions: {@code uniform} draws every key with equal probability; {@code zipfian} draws
 * ranks from {@link ZipfianGenerator} (theta 0.99, as YCSB) and maps rank to key through a fixed
 * random permutation of the key space. The permutation plays the part of YCSB's
 * {@code ScrambledZipfianGenerator} (hot keys spread over the key space rather than clustered at
 * low ids) while keeping the popularity exactly Zipfian, since a permutation has no collisions.
 */
final class KeyPool {
    static final int KEY_BYTES = 16;
    static final String UNIFORM = "uniform";
    static final String ZIPFIAN = "zipfian";

    private static final long SEED = 0x5EED_5EEDL;

    private KeyPool() {
    }

    /** Writes key {@code i} into {@code dst} at {@code offset}. */
    static void writeKey(long i, byte[] dst, int offset) {
        putLongBigEndian(dst, offset, mix64(i));
        putLongBigEndian(dst, offset + 8, i);
    }

    /** {@code keyCount} keys back to back: key {@code i} at {@code i * KEY_BYTES}. */
    static byte[] allKeys(int keyCount) {
        final byte[] keys = new byte[Math.multiplyExact(keyCount, KEY_BYTES)];
        for (int i = 0; i < keyCount; i++) {
            writeKey(i, keys, i * KEY_BYTES);
        }
        return keys;
    }

    /**
     * {@code requestCount} (a power of two) keys drawn from {@code [0, keyCount)} with the named
     * distribution, back to back.
     */
    static byte[] requests(String distribution, int keyCount, int requestCount) {
        if (Integer.bitCount(requestCount) != 1) {
            throw new IllegalArgumentException("request count " + requestCount + " must be a power of two");
        }
        final int[] ids = new int[requestCount];
        final SplittableRandom random = new SplittableRandom(SEED);
        switch (distribution) {
            case UNIFORM:
                for (int j = 0; j < requestCount; j++) {
                    ids[j] = random.nextInt(keyCount);
                }
                break;
            case ZIPFIAN:
                final int[] keyOfRank = permutation(keyCount, random);
                final ZipfianGenerator zipf = new ZipfianGenerator(keyCount, ZipfianGenerator.YCSB_THETA, SEED + 1);
                for (int j = 0; j < requestCount; j++) {
                    ids[j] = keyOfRank[(int) zipf.next()];
                }
                break;
            default:
                throw new IllegalArgumentException(
                    "distribution '" + distribution + "' must be " + UNIFORM + " or " + ZIPFIAN);
        }
        final byte[] requests = new byte[Math.multiplyExact(requestCount, KEY_BYTES)];
        for (int j = 0; j < requestCount; j++) {
            writeKey(ids[j], requests, j * KEY_BYTES);
        }
        return requests;
    }

    private static int[] permutation(int n, SplittableRandom random) {
        final int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** SplitMix64's finaliser: a bijection on 64-bit values. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void putLongBigEndian(byte[] dst, int offset, long v) {
        for (int b = 0; b < 8; b++) {
            dst[offset + b] = (byte) (v >>> (56 - 8 * b));
        }
    }
}
