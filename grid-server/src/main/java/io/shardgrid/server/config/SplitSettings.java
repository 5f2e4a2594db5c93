package io.shardgrid.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * When the placement driver splits partitions on its own (see {@code SplitPlanner}).
 *
 * @param partitionsPerNode target replicas (raft groups) per node; the driver splits while the
 *                          cluster is below it; 0 = no splits to fill the band
 * @param hotOpsPerSec      operations per second (client writes appended plus linearizable reads
 *                          served) a partition's leader must report through a whole {@code hotFor}
 *                          window for the partition to be split; 0 = no splits for load
 * @param hotFor            how long a partition must stay hot
 * @param splitBytes        live bytes at which a partition is split, so one replica stays quick to
 *                          copy when it moves; 0 = no splits for size
 */
public record SplitSettings(int partitionsPerNode, long hotOpsPerSec, Duration hotFor, long splitBytes) {
    /** No automatic splits: in-process configurations (tests, embedding) unless they ask. */
    public static final SplitSettings OFF = new SplitSettings(0, 0, Duration.ofSeconds(60));

    public SplitSettings {
        Objects.requireNonNull(hotFor, "hotFor");
        if (partitionsPerNode < 0 || partitionsPerNode > 4096) {
            throw new IllegalArgumentException("partitions per node " + partitionsPerNode + " must be in [0, 4096]");
        }
        if (hotOpsPerSec < 0) {
            throw new IllegalArgumentException("hot ops/s " + hotOpsPerSec + " must not be negative");
        }
        if (splitBytes < 0) {
            throw new IllegalArgumentException("split bytes " + splitBytes + " must not be negative");
        }
        if (hotFor.isNegative() || hotFor.isZero()) {
            throw new IllegalArgumentException("hot window " + hotFor + " must be positive");
        }
    }

    /** Without splits for size. */
    public SplitSettings(int partitionsPerNode, long hotOpsPerSec, Duration hotFor) {
        this(partitionsPerNode, hotOpsPerSec, hotFor, 0);
    }

    /**
     * The {@code grid server} default target: four replicas per core, as the local cluster's
     * partition count, so every core has raft groups to lead and no node pays for idle ones.
     */
    public static int partitionsPerNodeForCores(int cores) {
        return 4 * Math.max(1, cores);
    }

    public boolean automatic() {
        return partitionsPerNode > 0 || hotOpsPerSec > 0 || splitBytes > 0;
    }
}
