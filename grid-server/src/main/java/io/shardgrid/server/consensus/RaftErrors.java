package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns Ratis replies and exceptions into the grid's error model. */
final class RaftErrors {
    private static final Logger LOG = LoggerFactory.getLogger(RaftErrors.class);
    private RaftErrors() {
    }

    /** The error a failed reply means, or null when the reply succeeded. */
    static GridException fromReply(RaftClientReply reply, int partitionId, long mapEpoch) {
        if (reply.isSuccess()) {
            return null;
        }
        NotLeaderException notLeader = reply.getNotLeaderException();
        if (notLeader != null) {
            return notLeader(notLeader, partitionId, mapEpoch);
        }
        if (reply.getStateMachineException() != null) {
            // The client sees INTERNAL; the operator needs the cause.
            LOG.warn("p{}: the state machine refused a write: {}", partitionId, reply.getStateMachineException().toString(),
                reply.getStateMachineException());
            return new GridException(GridErrorCode.INTERNAL, "partition " + partitionId + " failed to apply a write");
        }
        String what = reply.getException() == null ? "unknown failure" : reply.getException().getClass().getSimpleName();
        return new GridException(GridErrorCode.UNAVAILABLE, "partition " + partitionId + " is unavailable: " + what);
    }

    static GridException fromThrowable(Throwable t, int partitionId, long mapEpoch) {
        Throwable cause = t;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof GridException g) {
            return g;
        }
        if (cause instanceof NotLeaderException nle) {
            return notLeader(nle, partitionId, mapEpoch);
        }
        if (cause instanceof TimeoutException) {
            return new GridException(GridErrorCode.DEADLINE_EXCEEDED,
                "partition " + partitionId + " did not commit in time; the write may or may not have been applied");
        }
        return new GridException(GridErrorCode.UNAVAILABLE,
            "partition " + partitionId + " is unavailable: " + cause.getClass().getSimpleName());
    }

    private static GridException notLeader(NotLeaderException e, int partitionId, long mapEpoch) {
        RaftPeer suggested = e.getSuggestedLeader();
        return GridException.notLeader(partitionId, suggested == null ? "" : suggested.getId().toString(), mapEpoch);
    }
}
