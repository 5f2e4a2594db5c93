package io.shardgrid.server.cluster;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.ReadConsistency;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.server.transport.GrpcErrors;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A minimal routing client for server tests: fetches the map, sends each call to the partition's
 * leader over real gRPC, and follows NOT_LEADER hints. The product's smart client lives in
 * grid-client; this one only proves the server's contract.
 */
final class TestRoutingClient implements AutoCloseable {
    private static final RetryPolicy RETRY = RetryPolicy.exponential(Duration.ofMillis(50), Duration.ofMillis(500));
    private final List<String> seeds;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile PartitionMap map;

    TestRoutingClient(List<String> seeds) {
        this.seeds = List.copyOf(seeds);
    }

    PartitionMap refreshMap() {
        RuntimeException last = null;
        for (String seed : seeds) {
            try {
                map = PartitionMapCodec.fromMessage(GridRoutingGrpc.newBlockingStub(channel(seed))
                    .withDeadlineAfter(5, TimeUnit.SECONDS).getPartitionMap(GetPartitionMapRequest.getDefaultInstance()));
                return map;
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a).usePlaintext().build());
    }

    GridDataGrpc.GridDataBlockingStub leaderStub(byte[] key) {
        PartitionMap m = map != null ? map : refreshMap();
        String leader = m.partitionOf(key).leaderHint();
        String address = m.node(leader).map(n -> n.grpcAddress()).orElse(seeds.get(0));
        return GridDataGrpc.newBlockingStub(channel(address)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    GridDataGrpc.GridDataBlockingStub stubAt(String grpcAddress) {
        return GridDataGrpc.newBlockingStub(channel(grpcAddress)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** Sets through the leader, following NOT_LEADER once per attempt; throws the last error. */
    void set(String key, String value, long ttlMs) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        retrying(() -> leaderStub(k).set(SetRequest.newBuilder().setKey(ByteString.copyFrom(k))
            .setValue(ByteString.copyFromUtf8(value)).setTtlMs(ttlMs).build()));
    }

    Optional<String> get(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        GetResponse r = retrying(() -> leaderStub(k).get(GetRequest.newBuilder().setKey(ByteString.copyFrom(k)).build()));
        return r.getFound() ? Optional.of(r.getValue().toStringUtf8()) : Optional.empty();
    }

    Optional<String> staleGet(String grpcAddress, String key) {
        GetResponse r = stubAt(grpcAddress).get(GetRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setConsistency(ReadConsistency.STALE_OK))
            .setKey(ByteString.copyFromUtf8(key)).build());
        return r.getFound() ? Optional.of(r.getValue().toStringUtf8()) : Optional.empty();
    }

    /** Retries through leader changes for up to 10 s, refreshing the map between attempts; bad input is not retried. */
    private <T> T retrying(java.util.function.Supplier<T> call) {
        return RETRY.<T, RuntimeException>call(Duration.ofSeconds(10), () -> {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (codeOf(e) != GridErrorCode.INVALID_ARGUMENT) {
                    refreshQuietly();
                }
                throw e;
            }
        }, e -> e instanceof StatusRuntimeException s && codeOf(s) != GridErrorCode.INVALID_ARGUMENT);
    }

    static GridErrorCode codeOf(StatusRuntimeException e) {
        Error error = e.getTrailers() == null ? null : e.getTrailers().get(GrpcErrors.ERROR_KEY);
        return error == null ? GridErrorCode.UNAVAILABLE : GridErrorCode.fromWire(error.getCodeValue());
    }

    private void refreshQuietly() {
        try {
            refreshMap();
        } catch (RuntimeException ignored) {
            // a seed may be down; the next attempt tries again
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
