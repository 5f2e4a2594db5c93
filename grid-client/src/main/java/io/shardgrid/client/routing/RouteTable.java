package io.shardgrid.client.routing;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.WatchEvent;
import io.shardgrid.proto.v1.WatchPartitionMapRequest;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * The client's view of the partition map: fetched from any seed, kept current by the
 * WatchPartitionMap stream, refreshed on NOT_LEADER / STALE_EPOCH with at most one refresh in
 * flight (callers share it, so errors never cause a refresh storm), and patched in place from
 * leader hints.
 */
public final class RouteTable implements AutoCloseable {
    private static final Logger LOG = System.getLogger(RouteTable.class.getName());

    private final List<String> seeds;
    private final Channels channels;
    private final ScheduledExecutorService scheduler;
    private final AtomicReference<PartitionMap> map = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<PartitionMap>> refreshing = new AtomicReference<>();
    private volatile BiConsumer<PartitionMap, PartitionMap> changeListener = (before, after) -> { };
    private volatile boolean closed;

    public RouteTable(List<String> seeds, Channels channels, ScheduledExecutorService scheduler) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("at least one seed address is required");
        }
        this.seeds = List.copyOf(seeds);
        this.channels = channels;
        this.scheduler = scheduler;
    }

    /** Fetches the first map (blocking, bounded) and starts watching for newer ones. */
    public void start(long timeoutMs) {
        refresh().orTimeout(timeoutMs, TimeUnit.MILLISECONDS).join();
        watch();
    }

    public PartitionMap map() {
        PartitionMap m = map.get();
        if (m == null) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "no partition map yet");
        }
        return m;
    }

    /** The current map, or null before the first one arrived. */
    public PartitionMap currentOrNull() {
        return map.get();
    }

    /** Called with the old and the new map whenever the map changes (the old one is null at first). */
    public void onChange(BiConsumer<PartitionMap, PartitionMap> listener) {
        this.changeListener = listener;
    }

    /** Installs {@code candidate} if it is newer, or the same epoch with other leader hints. */
    public void offer(PartitionMap candidate) {
        install(current -> current == null || candidate.epoch() >= current.epoch() ? candidate : current);
    }

    private void install(UnaryOperator<PartitionMap> update) {
        PartitionMap before;
        PartitionMap after;
        do {
            before = map.get();
            after = update.apply(before);
        } while (!map.compareAndSet(before, after));
        if (after != before) {
            changeListener.accept(before, after);
        }
    }

    /** Records a leader hint from a NOT_LEADER reply without waiting for a refresh. */
    public void hintLeader(int partitionId, String nodeId) {
        if (nodeId == null || nodeId.isEmpty()) {
            return;
        }
        install(current -> current == null || !current.hasPartition(partitionId)
            || current.node(nodeId).isEmpty() ? current : current.withLeaderHint(partitionId, nodeId));
    }

    /** One refresh for everybody who asks while it runs. */
    public CompletableFuture<PartitionMap> refresh() {
        CompletableFuture<PartitionMap> mine = new CompletableFuture<>();
        CompletableFuture<PartitionMap> running = refreshing.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        fetchFrom(0, mine);
        return mine.whenComplete((m, e) -> refreshing.set(null));
    }

    private void fetchFrom(int attempt, CompletableFuture<PartitionMap> result) {
        List<String> addresses = knownAddresses();
        String address = addresses.get(attempt % addresses.size());
        GridRoutingGrpc.newStub(channels.get(address)).withDeadlineAfter(3, TimeUnit.SECONDS)
            .getPartitionMap(GetPartitionMapRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(io.shardgrid.proto.v1.PartitionMapMessage value) {
                    offer(PartitionMapCodec.fromMessage(value));
                }

                @Override
                public void onError(Throwable t) {
                    if (t instanceof StatusRuntimeException refused
                            && refused.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
                        // Every node has the same client token: asking the others cannot help.
                        result.completeExceptionally(new GridException(GridErrorCode.UNAUTHENTICATED, address
                            + " refused this client: " + refused.getStatus().getDescription()));
                        return;
                    }
                    if (attempt + 1 >= addresses.size() * 2 || closed) {
                        result.completeExceptionally(new GridException(GridErrorCode.UNAVAILABLE,
                            "no node answered with a partition map (tried " + addresses + "): " + t.getMessage()));
                        return;
                    }
                    scheduler.schedule(() -> fetchFrom(attempt + 1, result), 50L * (attempt + 1), TimeUnit.MILLISECONDS);
                }

                @Override
                public void onCompleted() {
                    result.complete(map.get());
                }
            });
    }

    /** The nodes of the current map, or the seeds before there is one. */
    private List<String> knownAddresses() {
        PartitionMap m = map.get();
        if (m == null) {
            return seeds;
        }
        List<String> addresses = m.nodes().values().stream().map(NodeDescriptor::grpcAddress)
            .filter(a -> !a.isEmpty()).toList();
        return addresses.isEmpty() ? seeds : addresses;
    }

    private void watch() {
        if (closed) {
            return;
        }
        List<String> addresses = knownAddresses();
        String address = addresses.get(ThreadLocalRandom.current().nextInt(addresses.size()));
        GridRoutingGrpc.newStub(channels.get(address)).watchPartitionMap(WatchPartitionMapRequest.newBuilder()
            .setKnownEpoch(0).build(), new StreamObserver<>() {
                @Override
                public void onNext(WatchEvent event) {
                    if (event.hasMap()) {
                        offer(PartitionMapCodec.fromMessage(event.getMap()));
                    }
                }

                @Override
                public void onError(Throwable t) {
                    if (!closed) {
                        LOG.log(Level.DEBUG, "map watch on {0} ended: {1}; reconnecting", address, t.toString());
                        scheduler.schedule(RouteTable.this::watch, 500, TimeUnit.MILLISECONDS);
                    }
                }

                @Override
                public void onCompleted() {
                    onError(new IllegalStateException("server closed the watch"));
                }
            });
    }

    /** The gRPC address of the node that should serve {@code partition}: its leader, or any replica. */
    public String addressFor(PartitionAssignment partition, boolean anyReplica) {
        PartitionMap m = map();
        String nodeId;
        if (anyReplica && !partition.replicas().isEmpty()) {
            nodeId = partition.replicas().get(ThreadLocalRandom.current().nextInt(partition.replicas().size()));
        } else if (partition.hasLeaderHint()) {
            nodeId = partition.leaderHint();
        } else {
            nodeId = partition.replicas().isEmpty() ? "" : partition.replicas().get(0);
        }
        return m.node(nodeId).map(NodeDescriptor::grpcAddress).filter(a -> !a.isEmpty())
            .orElseGet(() -> seeds.get(0));
    }

    @Override
    public void close() {
        closed = true;
    }
}
