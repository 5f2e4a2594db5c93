package io.shardgrid.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * When the placement driver splits partitions on its own (see {@code SplitPlanner}).
 *
 * @param partitionsPerNode target replicas (raft groups) per node; the driver splits while the
 *                          cluster is below it; 0 = no splits to fill the band
 * @param hotWritesPerSec   writes per second a partition's leader must report through a whole
 *                          {@code hotFor} window for the partition to be split; 0 = no splits for load
 * @param hotFor            how long a partition must stay hot
 */
public record SplitSettings(int partitionsPerNode, long hotWritesPerSec, Duration hotFor) {
    /** No automatic splits: in-process configurations (tests, embedding) unless they ask. */
    public static final SplitSettings OFF = new SplitSettings(0, 0, Duration.ofSeconds(60));
    /** Hot split defaults of {@code grid server}: one leader's share of a small box, for a minute. */
    public static final long DEFAULT_HOT_WRITES_PER_SEC = 5_000;
    public static final Duration DEFAULT_HOT_FOR = Duration.ofSeconds(60);

    public SplitSettings {
        Objects.requireNonNull(hotFor, "hotFor");
        if (partitionsPerNode < 0 || partitionsPerNode > 4096) {
            throw new IllegalArgumentException("partitions per node " + partitionsPerNode + " must be in [0, 4096]");
        }
        if (hotWritesPerSec < 0) {
            throw new IllegalArgumentException("hot writes/s " + hotWritesPerSec + " must not be negative");
        }
        if (hotFor.isNegative() || hotFor.isZero()) {
            throw new IllegalArgumentException("hot window " + hotFor + " must be positive");
        }
    }

    /**
     * The {@code grid server} default target: four replicas per core, as the local cluster's
     * partition count, so every core has raft groups to lead and no node pays for idle ones.
     */
    public static int partitionsPerNodeForCores(int cores) {
        return 4 * Math.max(1, cores);
    }

    public boolean automatic() {
        return partitionsPerNode > 0 || hotWritesPerSec > 0;
    }
}
