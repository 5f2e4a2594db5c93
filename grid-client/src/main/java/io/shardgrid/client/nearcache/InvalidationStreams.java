package io.shardgrid.client.nearcache;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.shardgrid.client.routing.Channels;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.WatchEvent;
import io.shardgrid.proto.v1.WatchPartitionMapRequest;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One invalidation stream per node of the partition map (any replica may lead a partition next),
 * each reopened when it fails. A partition is cacheable only while the streams of all its replicas
 * are up; when one fails, the partitions it replicates are dropped from the near cache.
 */
public final class InvalidationStreams implements AutoCloseable {
    private static final Logger LOG = System.getLogger(InvalidationStreams.class.getName());
    private static final long RECONNECT_DELAY_MS = 500;

    private final Channels channels;
    private final ScheduledExecutorService scheduler;
    private final NearCache cache;
    private final Supplier<PartitionMap> map;
    private final Consumer<PartitionMap> mapSink;
    private final Map<String, NodeStream> streams = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param map     the client's current map
     * @param mapSink where maps that arrive on these streams go (they are as good as any)
     */
    public InvalidationStreams(Channels channels, ScheduledExecutorService scheduler, NearCache cache,
                               Supplier<PartitionMap> map, Consumer<PartitionMap> mapSink) {
        this.channels = channels;
        this.scheduler = scheduler;
        this.cache = cache;
        this.map = map;
        this.mapSink = mapSink;
        cache.armedBy(this::armed);
    }

    /** Opens a stream to every node of {@code current} that has none. */
    public void sync(PartitionMap current) {
        for (NodeDescriptor node : current.nodes().values()) {
            if (!node.grpcAddress().isEmpty()) {
                streams.computeIfAbsent(node.nodeId(), id -> {
                    NodeStream s = new NodeStream(id, node.grpcAddress());
                    s.open();
                    return s;
                });
            }
        }
    }

    /** Whether every replica of {@code partition} is streaming its invalidations to us. */
    public boolean armed(int partition) {
        PartitionMap m = map.get();
        if (m == null || !m.hasPartition(partition)) {
            return false;
        }
        PartitionAssignment a = m.partition(partition);
        if (a.replicas().isEmpty()) {
            return false;
        }
        for (String id : a.replicas()) {
            if (!connected(id)) {
                return false;
            }
        }
        for (String id : a.learners()) {
            if (!connected(id)) {
                return false;
            }
        }
        return true;
    }

    /** Whether every node's stream is up (the client waits for this, briefly, when it starts). */
    public boolean allConnected() {
        PartitionMap m = map.get();
        return m != null && m.nodes().keySet().stream().allMatch(this::connected);
    }

    private boolean connected(String nodeId) {
        NodeStream s = streams.get(nodeId);
        return s != null && s.connected;
    }

    @Override
    public void close() {
        closed = true;
        streams.values().forEach(NodeStream::cancel);
    }

    private final class NodeStream implements ClientResponseObserver<WatchPartitionMapRequest, WatchEvent> {
        private final String nodeId;
        private final String address;
        private volatile boolean connected;
        private volatile ClientCallStreamObserver<WatchPartitionMapRequest> call;

        NodeStream(String nodeId, String address) {
            this.nodeId = nodeId;
            this.address = address;
        }

        void open() {
            if (closed) {
                return;
            }
            GridRoutingGrpc.newStub(channels.get(address)).watchPartitionMap(
                WatchPartitionMapRequest.newBuilder().setInvalidations(true).build(), this);
        }

        void cancel() {
            ClientCallStreamObserver<WatchPartitionMapRequest> c = call;
            if (c != null) {
                c.cancel("client closed", null);
            }
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchPartitionMapRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(WatchEvent event) {
            if (event.hasInvalidation()) {
                cache.onInvalidation(event.getInvalidation());
            } else if (event.hasMap()) {
                mapSink.accept(PartitionMapCodec.fromMessage(event.getMap()));
            }
            // The server registers us before it sends its first map: from here on nothing is missed.
            connected = true;
        }

        @Override
        public void onError(Throwable t) {
            connected = false;
            PartitionMap m = map.get();
            if (m != null) {
                for (int p = 0; p < m.partitionCount(); p++) {
                    PartitionAssignment a = m.partition(p);
                    if (a.replicas().contains(nodeId) || a.learners().contains(nodeId)) {
                        cache.dropPartition(p);
                    }
                }
            }
            if (closed) {
                return;
            }
            LOG.log(Level.DEBUG, "invalidation stream from {0} ({1}) ended: {2}; reconnecting", nodeId, address,
                t.toString());
            scheduler.schedule(this::open, RECONNECT_DELAY_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void onCompleted() {
            onError(new IllegalStateException("server closed the stream"));
        }
    }
}
