package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.server.core.ports.SplitResult;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits a partition online, in three steps that each survive the death of whoever runs them:
 * <ol>
 *   <li>the map records the split as started: the next partition id is reserved for the upper half
 *   of the parent's range, on the parent's replicas, and routing does not change yet;</li>
 *   <li>the parent's leader appends a {@link SplitEntry}; at that index every replica seeds the
 *   child's group with the upper half and drops it (see {@code PartitionStateMachine}), so from
 *   then on the parent answers STALE_EPOCH for those keys;</li>
 *   <li>the map records the split as done: the parent owns the lower half, the child the upper.</li>
 * </ol>
 * A split left at step 1 or 2 (its runner died) is finished by {@link #finish}, which the placement
 * driver calls for every split the map shows as started: sending the entry again is harmless, since
 * a replica whose range is already the lower half answers {@code ALREADY_SPLIT} and changes nothing.
 */
public final class PartitionSplitter {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionSplitter.class);

    private final Membership membership;

    public PartitionSplitter(Membership membership) {
        this.membership = membership;
    }

    /** Splits {@code parentId} (or finishes its started split); returns the map that records it. */
    public SplitResult split(int parentId) throws IOException {
        PartitionMap map = membership.readMap();
        if (!map.hasPartition(parentId)) {
            throw new GridException(GridErrorCode.UNKNOWN_PARTITION, "partition " + parentId + " does not exist (0.."
                + (map.partitionCount() - 1) + ")");
        }
        if (map.splittingChildOf(parentId).isEmpty()) {
            try {
                map = membership.update(m -> m.splittingChildOf(parentId).isPresent() ? null
                    : m.withSplitStarted(parentId));
            } catch (IllegalArgumentException e) {
                throw GridException.invalidArgument("cannot split partition " + parentId + ": " + e.getMessage());
            }
            map = membership.readMap();
        }
        PartitionAssignment child = map.splittingChildOf(parentId).orElseThrow(() -> new GridException(
            GridErrorCode.CONDITION_FAILED, "partition " + parentId + " has no split in progress"));
        LOG.info("split of p{} started: p{} takes {}", parentId, child.partitionId(), child.range());
        return new SplitResult(parentId, child.partitionId(), finish(child.partitionId()));
    }

    /**
     * Finishes the started split that creates {@code childId}: the split entry in the parent's log
     * (again, if it is there already), then the map. Returns the map; does nothing if the split is done.
     */
    public PartitionMap finish(int childId) throws IOException {
        PartitionMap map = membership.readMap();
        PartitionAssignment child = map.partition(childId);
        if (!child.splitting()) {
            return map;
        }
        PartitionAssignment parent = map.partition(child.splitParent());
        SplitEntry entry = new SplitEntry(parent.range(), childId);
        RaftClientReply reply;
        try (RaftClient client = membership.client(GroupIds.partition(parent.partitionId()),
                RaftClients.peers(map, parent.replicas()))) {
            reply = client.io().send(entry.toMessage());
        }
        if (!reply.isSuccess()) {
            throw new IOException("partition " + parent.partitionId() + " did not take the split entry: "
                + reply.getException());
        }
        SplitEntry.Outcome outcome = SplitEntry.outcomeOf(reply.getMessage());
        if (outcome == SplitEntry.Outcome.REFUSED) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "partition " + parent.partitionId()
                + " refused the split: " + SplitEntry.detailOf(reply.getMessage()));
        }
        PartitionMap done = membership.update(m -> m.partition(childId).splitting() ? m.withSplitDone(childId) : null);
        LOG.info("split of p{} done at map epoch {} ({}): p{} owns {}, p{} owns {}", parent.partitionId(), done.epoch(),
            outcome, parent.partitionId(), done.partition(parent.partitionId()).range(), childId,
            done.partition(childId).range());
        return done;
    }
}
