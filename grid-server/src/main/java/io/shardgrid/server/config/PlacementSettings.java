package io.shardgrid.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How this node takes part in placement.
 *
 * @param zone             this node's failure domain; empty when unlabelled
 * @param downAfter        a node silent this long is down: its replicas are rebuilt elsewhere
 * @param interval         how often the meta leader re-plans; zero turns automatic placement off
 * @param maxMovesPerNode  replica moves running at once into or out of one node
 * @param maxMoves         replica moves running at once in the whole cluster
 * @param splits           when the driver splits partitions on its own
 */
public record PlacementSettings(String zone, Duration downAfter, Duration interval, int maxMovesPerNode,
                                int maxMoves, SplitSettings splits) {
    public static final PlacementSettings DEFAULTS =
        new PlacementSettings("", Duration.ofSeconds(30), Duration.ofSeconds(2), 1, 4);

    /** Settings without automatic splits. */
    public PlacementSettings(String zone, Duration downAfter, Duration interval, int maxMovesPerNode, int maxMoves) {
        this(zone, downAfter, interval, maxMovesPerNode, maxMoves, SplitSettings.OFF);
    }

    public PlacementSettings {
        zone = zone == null ? "" : zone.trim();
        Objects.requireNonNull(downAfter, "downAfter");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(splits, "splits");
        if (downAfter.isNegative() || downAfter.isZero()) {
            throw new IllegalArgumentException("down-after " + downAfter + " must be positive");
        }
        if (interval.isNegative()) {
            throw new IllegalArgumentException("placement interval " + interval + " must not be negative");
        }
        if (maxMovesPerNode < 1 || maxMoves < 1) {
            throw new IllegalArgumentException("move limits must be positive: per node " + maxMovesPerNode
                + ", cluster " + maxMoves);
        }
    }

    public boolean automatic() {
        return !interval.isZero();
    }

    public PlacementSettings withInterval(Duration newInterval) {
        return new PlacementSettings(zone, downAfter, newInterval, maxMovesPerNode, maxMoves, splits);
    }

    public PlacementSettings withSplits(SplitSettings newSplits) {
        return new PlacementSettings(zone, downAfter, interval, maxMovesPerNode, maxMoves, newSplits);
    }
}
