package io.shardgrid.server.core.ports;

/** Whether this node serves, as {@code /health/ready} reports it; the rules live with consensus. */
@FunctionalInterface
public interface ReadinessProbe {
    /** Null when ready, else the first reason found for not being ready. */
    String notReadyReason();
}
