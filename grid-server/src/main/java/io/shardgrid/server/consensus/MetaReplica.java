package io.shardgrid.server.consensus;

import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;

/**
 * The meta group as this node sees it: its local replica of the map (if it hosts one), else the
 * last map fetched from the meta group; who leads it, its voters and listeners.
 */
final class MetaReplica {
    private final RaftServer server;
    private final LocalRaftSubmitter submitter;
    private final Supplier<MetaStateMachine> stateMachine;
    private volatile PartitionMap remoteMap;

    /** {@code stateMachine}: the one the server's registry gives the meta group now. */
    MetaReplica(Supplier<MetaStateMachine> stateMachine, RaftServer server, LocalRaftSubmitter submitter) {
        this.stateMachine = stateMachine;
        this.server = server;
        this.submitter = submitter;
    }

    /** The partition map: from the local meta replica, else the last one fetched from the meta group. */
    PartitionMap map() {
        PartitionMap local = stateMachine.get().map();
        return local != null ? local : remoteMap;
    }

    void rememberRemoteMap(PartitionMap map) {
        PartitionMap current = remoteMap;
        if (map != null && (current == null || map.epoch() >= current.epoch())) {
            remoteMap = map;
        }
    }

    void onMapChange(Consumer<PartitionMap> listener) {
        stateMachine.get().addListener(listener);
    }

    /** The meta group's leader as this node knows it. */
    Optional<String> leaderId() {
        RaftServer.Division d = division();
        return d == null || d.getInfo().getLeaderId() == null ? Optional.empty()
            : Optional.of(d.getInfo().getLeaderId().toString());
    }

    /** Whether this node leads the meta group: the placement driver runs here. */
    boolean isLeader() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader();
    }

    boolean hostedHere() {
        return division() != null;
    }

    /** Waits until the local meta replica has applied everything committed before this call. */
    void readBarrier() throws IOException {
        RaftClientReply reply;
        try {
            reply = submitter.submit(submitter.request(GroupIds.META_GROUP, Message.EMPTY,
                RaftClientRequest.readRequestType())).join();
        } catch (RuntimeException e) {
            throw new IOException("meta group read failed", e);
        }
        if (!reply.isSuccess()) {
            throw new IOException("meta group read failed: " + reply.getException());
        }
    }

    /** The meta group's current voters as this node sees them; empty if it holds no meta replica. */
    List<RaftPeer> voters() {
        RaftServer.Division d = division();
        return d == null ? List.of() : new ArrayList<>(d.getRaftConf().getCurrentPeers());
    }

    /** The meta group's non-voting listeners as this node sees them. */
    List<RaftPeer> listeners() {
        RaftServer.Division d = division();
        return d == null ? List.of() : new ArrayList<>(d.getRaftConf().getCurrentPeers(RaftPeerRole.LISTENER));
    }

    private RaftServer.Division division() {
        try {
            return server.getDivision(GroupIds.META_GROUP);
        } catch (IOException e) {
            return null;
        }
    }
}
