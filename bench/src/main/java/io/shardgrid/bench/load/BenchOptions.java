package io.shardgrid.bench.load;

/**
 * One benchmark run's settings.
 *
 * @param readRatio    share of reads in [0, 1]
 * @param zipf         Zipf exponent in (0, 1), or 0 for uniform keys
 * @param concurrency  operations in flight (connections × pipeline depth)
 * @param rate         open-loop target ops/s, or 0 for a closed loop
 */
record BenchOptions(String workload, double readRatio, long keys, int keySize, int valueSize, double zipf,
                    int concurrency, int pipeline, int connections, int rate, int warmupSeconds,
                    int durationSeconds, long ttlMs) {
    BenchOptions {
        if (concurrency < 1 || durationSeconds < 1 || valueSize < 0 || rate < 0 || warmupSeconds < 0) {
            throw new IllegalArgumentException("concurrency " + concurrency + ", duration " + durationSeconds
                + " s, value size " + valueSize + ", rate " + rate + ", warm-up " + warmupSeconds
                + ": concurrency and duration must be positive, the others not negative");
        }
        if (zipf != 0 && !(zipf > 0 && zipf < 1)) {
            throw new IllegalArgumentException("zipf exponent " + zipf + " must be in (0, 1), or 0 for uniform");
        }
    }
}
