package io.shardgrid.bench.jmh;

import java.util.SplittableRandom;

/**
 * Draws item ranks in {@code [0, items)} with Zipfian popularity: rank 0 is the most popular,
 * {@code P(rank r) ∝ 1 / (r + 1)^theta}.
 *
 * <p>This is YCSB's {@code ZipfianGenerator}, the rejection-free method of Gray et al., "Quickly
 * Generating Billion-Record Synthetic Databases" (SIGMOD 1994), for a fixed item count. It is used
 * only while a benchmark sets up, never inside a measured method.
 */
public final class ZipfianGenerator {
    /** YCSB's default skew. */
    static final double YCSB_THETA = 0.99;

    private final long items;
    private final double theta;
    private final double zetaN;
    private final double alpha;
    private final double eta;
    private final double secondRankBound;
    private final SplittableRandom random;

    public ZipfianGenerator(long items, double theta, long seed) {
        if (items < 2) {
            throw new IllegalArgumentException("items " + items + " must be at least 2");
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("theta " + theta + " must be in (0, 1)");
        }
        this.items = items;
        this.theta = theta;
        this.zetaN = zeta(items, theta);
        this.alpha = 1.0 / (1.0 - theta);
        this.eta = (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zeta(2, theta) / zetaN);
        this.secondRankBound = 1.0 + Math.pow(0.5, theta);
        this.random = new SplittableRandom(seed);
    }

    /** The next rank, 0 being the most popular. */
    public long next() {
        final double u = random.nextDouble();
        final double uz = u * zetaN;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < secondRankBound) {
            return 1;
        }
        final long rank = (long) (items * Math.pow(eta * u - eta + 1, alpha));
        return Math.min(rank, items - 1);
    }

    double theta() {
        return theta;
    }

    private static double zeta(long n, double theta) {
        double sum = 0;
        for (long i = 1; i <= n; i++) {
            sum += 1 / Math.pow(i, theta);
        }
        return sum;
    }
}
