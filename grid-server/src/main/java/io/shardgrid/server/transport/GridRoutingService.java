package io.shardgrid.server.transport;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.Invalidation;
import io.shardgrid.proto.v1.PartitionLoad;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.proto.v1.WatchEvent;
import io.shardgrid.proto.v1.WatchPartitionMapRequest;
import io.shardgrid.server.core.ports.KeyChangeListener;
import io.shardgrid.server.core.ports.KeyChangeSource;
import io.shardgrid.server.core.ports.LocalReplicas;
import io.shardgrid.server.core.ports.PartitionMaps;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves the partition map, once or as a stream of every newer map (leader changes included), and
 * streams near-cache invalidations for the partitions this node leads to watchers that ask.
 *
 * <p>A watcher that cannot keep up is cut off with RESOURCE_EXHAUSTED rather than buffered without
 * bound: its client then drops the affected cache entries and reconnects, which is always safe.
 */
public final class GridRoutingService extends GridRoutingGrpc.GridRoutingImplBase implements KeyChangeListener {
    /** Events one slow watcher may have queued before it is cut off. */
    static final int MAX_QUEUED_EVENTS = 16_384;

    private final PartitionMaps maps;
    private final LocalReplicas replicas;
    private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger invalidationWatchers = new AtomicInteger();
    private final AtomicBoolean publishPending = new AtomicBoolean();
    /** Leader changes arrive on Ratis threads; maps are built and sent from here instead. */
    private final ExecutorService events = Executors.newSingleThreadExecutor(DaemonThreads.named("routing-events"));

    public GridRoutingService(PartitionMaps maps, KeyChangeSource keyChanges, LocalReplicas replicas) {
        this.maps = maps;
        this.replicas = replicas;
        maps.onMapChange(map -> publishSoon());
        keyChanges.onKeyChange(this);
    }

    @Override
    public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMapMessage> out) {
        PartitionMap map = maps.routingMap();
        if (map == null) {
            out.onError(GrpcErrors.toStatus(new GridException(GridErrorCode.UNAVAILABLE,
                "this node has no partition map yet (not bootstrapped or joined)"), maps::map));
            return;
        }
        PartitionMapMessage message = PartitionMapCodec.toMessage(map);
        if (request.getWithLoad()) {
            PartitionMapMessage.Builder withLoad = message.toBuilder();
            for (int p : replicas.hostedPartitions()) {
                if (replicas.isLeader(p)) {
                    leaderLoad(p).ifPresent(withLoad::addLeaderLoad);
                }
            }
            message = withLoad.build();
        }
        out.onNext(message);
        out.onCompleted();
    }

    /** A partition this node leads, as the placement driver rates it; empty if its replica just left. */
    private Optional<PartitionLoad> leaderLoad(int p) {
        try {
            return Optional.of(PartitionLoad.newBuilder().setPartitionId(p).setWritesTotal(replicas.writesAppended(p))
                .setReadsTotal(replicas.readsServed(p)).setLiveBytes(replicas.store(p).stats().liveBytes()).build());
        } catch (GridException e) {
            return Optional.empty();
        }
    }

    @Override
    public void watchPartitionMap(WatchPartitionMapRequest request, StreamObserver<WatchEvent> out) {
        ServerCallStreamObserver<WatchEvent> stream = (ServerCallStreamObserver<WatchEvent>) out;
        Watcher watcher = new Watcher(stream, request.getKnownEpoch(), request.getInvalidations());
        stream.setOnReadyHandler(watcher::drain);
        stream.setOnCancelHandler(() -> remove(watcher));
        // Registered before the first map goes out: every change applied after the client sees
        // that map reaches it.
        watchers.add(watcher);
        if (watcher.invalidations) {
            invalidationWatchers.incrementAndGet();
        }
        watcher.offer(maps.routingMap());
    }

    private void remove(Watcher watcher) {
        if (watchers.remove(watcher) && watcher.invalidations) {
            invalidationWatchers.decrementAndGet();
        }
    }

    /** Sends the current map to every watcher that has not seen it. */
    public void publish() {
        PartitionMap map = maps.routingMap();
        for (Watcher w : watchers) {
            w.offer(map);
        }
    }

    /** Coalesces a burst of leader changes (an election storm, a restart) into one publish. */
    private void publishSoon() {
        if (publishPending.compareAndSet(false, true)) {
            events.execute(() -> {
                publishPending.set(false);
                publish();
            });
        }
    }

    @Override
    public void keyChanged(int partitionId, long term, long seq, byte[] key) {
        WatchEvent event = WatchEvent.newBuilder().setInvalidation(Invalidation.newBuilder()
            .setPartitionId(partitionId).setTerm(term).setSeq(seq).setKey(ByteString.copyFrom(key))).build();
        sendToInvalidationWatchers(event);
    }

    @Override
    public void leadershipTaken(int partitionId, long term) {
        // An empty key is the "start over" marker: drop the partition, expect this term from now on.
        WatchEvent event = WatchEvent.newBuilder().setInvalidation(Invalidation.newBuilder()
            .setPartitionId(partitionId).setTerm(term)).build();
        events.execute(() -> sendToInvalidationWatchers(event));
    }

    @Override
    public void leaderChanged(int partitionId) {
        publishSoon();
    }

    @Override
    public boolean active() {
        return invalidationWatchers.get() > 0;
    }

    private void sendToInvalidationWatchers(WatchEvent event) {
        for (Watcher w : watchers) {
            if (w.invalidations) {
                w.send(event);
            }
        }
    }

    public void close() {
        events.shutdownNow();
    }

    private final class Watcher {
        final ServerCallStreamObserver<WatchEvent> out;
        final boolean invalidations;
        private final long knownEpoch;
        private final ArrayDeque<WatchEvent> queued = new ArrayDeque<>();
        private PartitionMap lastSent;
        private boolean closed;

        Watcher(ServerCallStreamObserver<WatchEvent> out, long knownEpoch, boolean invalidations) {
            this.out = out;
            this.knownEpoch = knownEpoch;
            this.invalidations = invalidations;
        }

        synchronized void offer(PartitionMap map) {
            if (map == null) {
                return;
            }
            boolean newer = lastSent == null ? map.epoch() > knownEpoch || knownEpoch == 0 : map.epoch() > lastSent.epoch()
                || !map.partitions().equals(lastSent.partitions());
            if (newer) {
                lastSent = map;
                send(WatchEvent.newBuilder().setMap(PartitionMapCodec.toMessage(map)).build());
            }
        }

        synchronized void send(WatchEvent event) {
            if (closed || out.isCancelled()) {
                return;
            }
            if (queued.size() >= MAX_QUEUED_EVENTS) {
                closed = true;
                queued.clear();
                remove(this);
                out.onError(GrpcErrors.toStatus(new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "watcher fell "
                    + MAX_QUEUED_EVENTS + " events behind; reconnect and drop cached entries"), () -> null));
                return;
            }
            queued.add(event);
            drain();
        }

        synchronized void drain() {
            while (!closed && out.isReady() && !queued.isEmpty()) {
                out.onNext(queued.poll());
            }
        }
    }
}
