package io.shardgrid.server.consensus;

import io.shardgrid.server.core.ports.ReadinessProbe;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Whether this node serves: it has settled its membership and a partition map, and every local
 * replica works, knows its leader and has applied what it knows committed. {@code /health/ready}
 * answers from here, and the node logs "ready" from here, so the two never disagree.
 */
public final class Readiness implements ReadinessProbe {
    private final String nodeId;
    private final RatisNode node;
    private final BooleanSupplier membershipSettled;

    public Readiness(String nodeId, RatisNode node, BooleanSupplier membershipSettled) {
        this.nodeId = nodeId;
        this.node = node;
        this.membershipSettled = membershipSettled;
    }

    @Override
    public String notReadyReason() {
        if (!membershipSettled.getAsBoolean()) {
            return "bootstrapping or joining the cluster";
        }
        if (node.map() == null) {
            return "no partition map yet";
        }
        List<Integer> reopening = node.partitionsReopening();
        if (!reopening.isEmpty()) {
            return "partition " + reopening.get(0) + " is being reopened after its raft log failed (is the disk full?)";
        }
        for (int p : node.hostedPartitions()) {
            Optional<String> failed = node.logFailure(p);
            if (failed.isPresent()) {
                return "partition " + p + ": " + failed.get() + " (reopened automatically once the disk takes writes)";
            }
            if (!node.assignedHere(p)) {
                continue; // moved away while this node was down; deleted later, serves nothing
            }
            // The replica's own knowledge, not the map's hint: until a leader has reached it, its
            // commit index is stale and it cannot tell whether it has caught up.
            String leader = node.localLeader(p);
            if (leader.isEmpty()) {
                return "partition " + p + " has no leader yet (no leader has reached this replica)";
            }
            if (leader.equals(nodeId) && !node.isLeader(p)) {
                return "partition " + p + " elected this node and is not ready to serve yet";
            }
            if (node.appliedIndex(p) < node.commitIndex(p)) {
                return "partition " + p + " is catching up (applied " + node.appliedIndex(p) + " of "
                    + node.commitIndex(p) + ")";
            }
        }
        return null;
    }
}
