package io.shardgrid.server.transport;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.proto.v1.WatchEvent;
import io.shardgrid.proto.v1.WatchPartitionMapRequest;
import io.shardgrid.server.consensus.RatisNode;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Serves the partition map, once or as a stream of every newer map. */
public final class GridRoutingService extends GridRoutingGrpc.GridRoutingImplBase {
    private final RatisNode node;
    private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();

    public GridRoutingService(RatisNode node) {
        this.node = node;
        node.onMapChange(map -> publish());
    }

    @Override
    public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMapMessage> out) {
        PartitionMap map = node.routingMap();
        if (map == null) {
            out.onError(GrpcErrors.toStatus(new GridException(GridErrorCode.UNAVAILABLE,
                "this node has no partition map yet (not bootstrapped or joined)"), node::map));
            return;
        }
        out.onNext(PartitionMapCodec.toMessage(map));
        out.onCompleted();
    }

    @Override
    public void watchPartitionMap(WatchPartitionMapRequest request, StreamObserver<WatchEvent> out) {
        Watcher watcher = new Watcher((ServerCallStreamObserver<WatchEvent>) out, request.getKnownEpoch());
        watchers.add(watcher);
        watcher.out.setOnCancelHandler(() -> watchers.remove(watcher));
        watcher.offer(node.routingMap());
    }

    /** Sends the current map to every watcher that has not seen it; also called on leader changes. */
    public void publish() {
        PartitionMap map = node.routingMap();
        for (Watcher w : watchers) {
            w.offer(map);
        }
    }

    private static final class Watcher {
        final ServerCallStreamObserver<WatchEvent> out;
        private PartitionMap lastSent;
        private final long knownEpoch;

        Watcher(ServerCallStreamObserver<WatchEvent> out, long knownEpoch) {
            this.out = out;
            this.knownEpoch = knownEpoch;
        }

        synchronized void offer(PartitionMap map) {
            if (map == null || out.isCancelled()) {
                return;
            }
            boolean newer = lastSent == null ? map.epoch() > knownEpoch || knownEpoch == 0 : map.epoch() > lastSent.epoch()
                || !map.partitions().equals(lastSent.partitions());
            if (newer) {
                lastSent = map;
                out.onNext(WatchEvent.newBuilder().setMap(PartitionMapCodec.toMessage(map)).build());
            }
        }
    }
}
