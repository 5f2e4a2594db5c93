package io.shardgrid.server.consensus;


import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.PartitionMapMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;

/**
 * Reads the partition map linearizably and changes it by compare-and-set: read the map, compute the
 * next one, propose it; the meta state machine installs it only if its epoch is the next one, so a
 * lost race is retried on the newer map rather than overwriting it.
 */
final class PartitionMapUpdater {
    /** A proposal that lost the epoch race to another one is retried on the newer map for this long. */
    private static final Duration MAP_RACE_DEADLINE = Duration.ofSeconds(10);
    private static final RetryPolicy MAP_RACE_RETRY = RetryPolicy.exponential(Duration.ofMillis(5),
        Duration.ofMillis(200));

    private final RatisNode node;
    private final RaftClients clients;

    PartitionMapUpdater(RatisNode node, RaftClients clients) {
        this.node = node;
        this.clients = clients;
    }

    /** Reads the map linearizably from the meta group (locally if this node is a meta voter). */
    PartitionMap readMap() throws IOException {
        PartitionMap local = node.map();
        if (node.meta().hostedHere() && local != null) {
            node.meta().readBarrier();
            return node.map();
        }
        if (local == null) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "this node knows no partition map yet");
        }
        try (RaftClient client = clients.client(GroupIds.META_GROUP, clients.metaPeers(local))) {
            RaftClientReply reply = client.io().sendReadOnly(Message.EMPTY);
            PartitionMap fetched = PartitionMapCodec.fromMessage(
                PartitionMapMessage.parseFrom(reply.getMessage().getContent().toByteArray()));
            node.meta().rememberRemoteMap(fetched);
            return fetched;
        }
    }

    /**
     * Applies {@code change} to the current map and proposes the result, retrying lost races (after
     * a short jittered wait, so racing proposers spread out) for up to {@link #MAP_RACE_DEADLINE}.
     * A change that returns null means nothing to do: the current map is returned.
     */
    PartitionMap update(UnaryOperator<PartitionMap> change) throws IOException {
        RetryPolicy.Backoff backoff = MAP_RACE_RETRY.start(MAP_RACE_DEADLINE);
        do {
            PartitionMap current = readMap();
            PartitionMap next = change.apply(current);
            if (next == null) {
                return current;
            }
            if (propose(next)) {
                return next;
            }
        } while (backoff.pause());
        throw new GridException(GridErrorCode.UNAVAILABLE, "the partition map kept changing; gave up after "
            + (backoff.waits() + 1) + " proposals in " + MAP_RACE_DEADLINE.toSeconds() + " s");
    }

    /** Proposes {@code next}; true if the meta group installed it, false if another map won the epoch. */
    boolean propose(PartitionMap next) throws IOException {
        PartitionMap known = node.map();
        // The first map (bootstrap) goes to the meta group's voters as this node's division knows them.
        List<RaftPeer> peers = clients.metaPeers(known == null ? next : known);
        try (RaftClient client = clients.client(GroupIds.META_GROUP, peers, node.metaLeaderId())) {
            RaftClientReply reply = client.io().send(MetaStateMachine.propose(next));
            if (!reply.isSuccess()) {
                throw new IOException("meta group refused the map: " + reply.getException());
            }
            return MetaStateMachine.installed(reply.getMessage());
        }
    }
}
