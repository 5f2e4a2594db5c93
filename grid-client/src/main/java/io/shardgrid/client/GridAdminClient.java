package io.shardgrid.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.MetadataUtils;
import io.shardgrid.client.routing.Channels;
import io.shardgrid.client.routing.ClientTls;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.proto.v1.ClusterStatusRequest;
import io.shardgrid.proto.v1.ClusterStatusResponse;
import io.shardgrid.proto.v1.DrainRequest;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.ListNodesRequest;
import io.shardgrid.proto.v1.ListNodesResponse;
import io.shardgrid.proto.v1.ListPartitionsRequest;
import io.shardgrid.proto.v1.ListPartitionsResponse;
import io.shardgrid.proto.v1.MoveReplicaRequest;
import io.shardgrid.proto.v1.OperatorResponse;
import io.shardgrid.proto.v1.RebalanceRequest;
import io.shardgrid.proto.v1.RebalanceResponse;
import io.shardgrid.proto.v1.RemoveNodeRequest;
import io.shardgrid.proto.v1.SplitRequest;
import io.shardgrid.proto.v1.SplitResponse;
import io.shardgrid.proto.v1.TransferLeaderRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Cluster administration from code: what {@code bin/grid admin} does, as blocking calls that return
 * the admin API's own messages ({@code proto/shardgrid/v1/admin.proto}).
 *
 * <p>Every call goes to the meta group's leader, found through the first seed that answers (only
 * it runs placement and hears every node), with the admin token as a bearer credential. A call
 * fails with a {@link GridException} whose code is the one the node sent in its error trailer:
 * UNAUTHENTICATED for a missing or wrong token, UNKNOWN_PARTITION or INVALID_ARGUMENT for a bad
 * partition or node id, CONDITION_FAILED when the cluster's state forbids the operation (a move
 * while one is running), UNAVAILABLE when no seed answers, DEADLINE_EXCEEDED past the timeout. Calls are not retried:
 * every mutating one starts work on the cluster, and the caller decides whether to ask again.
 * Thread-safe; one instance can serve a whole program. Close it to release its connections.
 */
public final class GridAdminClient implements AutoCloseable {
    private static final Metadata.Key<Error> ERROR_KEY =
        Metadata.Key.of("shardgrid.v1.error-bin", ProtoUtils.metadataMarshaller(Error.getDefaultInstance()));
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final List<String> seeds;
    private final String token;
    private final Duration timeout;
    private final Channels channels;

    private GridAdminClient(List<String> seeds, String token, Duration timeout, ClientTls tls) {
        this.channels = new Channels(tls);
        this.seeds = List.copyOf(seeds);
        this.token = token;
        this.timeout = timeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Nodes with their state, replica and leader counts (leaders as the replicas report them), operators in flight. */
    public ClusterStatusResponse status() {
        return call(stub -> stub.clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    }

    public ListNodesResponse nodes() {
        return call(stub -> stub.listNodes(ListNodesRequest.getDefaultInstance()));
    }

    /** Every partition, or with a non-empty {@code nodeId} only those with a replica on that node. */
    public ListPartitionsResponse partitions(String nodeId) {
        return call(stub -> stub.listPartitions(ListPartitionsRequest.newBuilder().setNodeId(nodeId).build()));
    }

    /** The moves and leader transfers that would balance the cluster; started unless {@code dryRun}. */
    public RebalanceResponse rebalance(boolean dryRun) {
        return call(stub -> stub.rebalance(RebalanceRequest.newBuilder().setDryRun(dryRun).build()));
    }

    /** Moves one replica of {@code partition}; an empty {@code from} only adds one, an empty {@code to} only removes one. */
    public OperatorResponse move(int partition, String from, String to) {
        return call(stub -> stub.moveReplica(MoveReplicaRequest.newBuilder().setPartitionId(partition)
            .setFromNodeId(from).setToNodeId(to).build()));
    }

    /** Hands the leadership of {@code partition} to its replica on node {@code to}; returns once it moved. */
    public OperatorResponse transferLeader(int partition, String to) {
        return call(stub -> stub.transferLeader(TransferLeaderRequest.newBuilder().setPartitionId(partition)
            .setToNodeId(to).build()));
    }

    /**
     * Splits {@code partition} online: it keeps the lower half of its hash range, a new partition on
     * the same replicas takes the upper half. Returns once the partition map records the split.
     */
    public SplitResponse split(int partition) {
        return call(stub -> stub.split(SplitRequest.newBuilder().setPartitionId(partition).build()));
    }

    /** Marks {@code nodeId} draining: placement moves every replica and leadership off it. */
    public OperatorResponse drain(String nodeId) {
        return call(stub -> stub.drain(DrainRequest.newBuilder().setNodeId(nodeId).build()));
    }

    /** Forgets a drained node that holds nothing. */
    public void remove(String nodeId) {
        call(stub -> stub.removeNode(RemoveNodeRequest.newBuilder().setNodeId(nodeId).build()));
    }

    private <T> T call(Function<GridAdminGrpc.GridAdminBlockingStub, T> rpc) {
        StatusRuntimeException last = null;
        for (String seed : seeds) {
            try {
                ClusterStatusResponse status = stub(seed).clusterStatus(ClusterStatusRequest.getDefaultInstance());
                String leader = status.getNodesList().stream()
                    .filter(n -> n.getAddress().getNodeId().equals(status.getMetaLeaderNodeId()))
                    .map(n -> n.getAddress().getGrpcAddress()).filter(a -> !a.isEmpty()).findFirst().orElse(seed);
                return rpc.apply(stub(leader));
            } catch (StatusRuntimeException e) {
                last = e;
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw toGrid(e);
                }
            }
        }
        throw last == null ? new GridException(GridErrorCode.UNAVAILABLE, "no seeds") : toGrid(last);
    }

    private GridAdminGrpc.GridAdminBlockingStub stub(String address) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        return GridAdminGrpc.newBlockingStub(channels.get(address))
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The node's own error from the trailer; from the gRPC status only when the trailer is missing. */
    static GridException toGrid(StatusRuntimeException e) {
        Metadata trailers = e.getTrailers();
        Error error = trailers == null ? null : trailers.get(ERROR_KEY);
        if (error != null) {
            return new GridException(GridErrorCode.fromWire(error.getCodeValue()), error.getMessage(),
                error.getLeaderHint().getNodeId(), error.getMapEpoch(), null);
        }
        GridErrorCode code = switch (e.getStatus().getCode()) {
            case UNAUTHENTICATED -> GridErrorCode.UNAUTHENTICATED;
            case INVALID_ARGUMENT -> GridErrorCode.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> GridErrorCode.CONDITION_FAILED;
            case RESOURCE_EXHAUSTED -> GridErrorCode.RESOURCE_EXHAUSTED;
            case DEADLINE_EXCEEDED -> GridErrorCode.DEADLINE_EXCEEDED;
            case UNAVAILABLE -> GridErrorCode.UNAVAILABLE;
            default -> GridErrorCode.INTERNAL;
        };
        String description = e.getStatus().getDescription();
        return new GridException(code, description == null ? e.getStatus().getCode().toString() : description);
    }

    @Override
    public void close() {
        channels.close();
    }

    /** {@code GridAdminClient.builder().seeds("host:port", …).token(secret).build()}. */
    public static final class Builder extends ConnectionSettings<Builder> {
        private String token = "";

        /** The cluster's admin token ({@code --admin-token} of its nodes). */
        public Builder token(String token) {
            this.token = token == null ? "" : token.trim();
            return this;
        }

        /** Builds the client; connections open on the first call. */
        public GridAdminClient build() {
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("at least one seed address is required");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " must be positive");
            }
            return new GridAdminClient(seeds, token, timeout, clientTls());
        }
    }
}
