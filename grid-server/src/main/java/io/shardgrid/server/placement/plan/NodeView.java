package io.shardgrid.server.placement.plan;

/**
 * A node as the planner sees it.
 *
 * @param zone     failure-domain label; empty when unlabelled
 * @param live     heartbeating within {@code down-after}; replicas on a dead node are rebuilt elsewhere
 * @param draining being emptied by an operator: holds no replica or leader once the plan is done
 */
public record NodeView(String nodeId, String zone, boolean live, boolean draining) {
    public NodeView {
        zone = zone == null ? "" : zone;
    }

    /** Whether new replicas and leaders may be placed here. */
    public boolean eligible() {
        return live && !draining;
    }
}
