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
 */
public record PlacementSettings(String zone, Duration downAfter, Duration interval, int maxMovesPerNode,
                                int maxMoves) {
    public static final PlacementSettings DEFAULTS =
        new PlacementSettings("", Duration.ofSeconds(30), Duration.ofSeconds(2), 1, 4);

    public PlacementSettings {
        zone = zone == null ? "" : zone.trim();
        Objects.requireNonNull(downAfter, "downAfter");
        Objects.requireNonNull(interval, "interval");
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
}
