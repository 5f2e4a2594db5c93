package io.shardgrid.bench.chaos;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.shardgrid.proto.v1.ClusterStatusRequest;
import io.shardgrid.proto.v1.ClusterStatusResponse;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.MoveReplicaRequest;
import io.shardgrid.proto.v1.OperatorResponse;
import io.shardgrid.proto.v1.TransferLeaderRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The admin gRPC calls the nemesis needs, sent to the meta leader (found through any node that
 * answers) with the cluster's admin token, as {@code grid admin} does.
 */
final class AdminChannel {
    private static final long TIMEOUT_MS = 5_000;
    private final List<String> seeds;
    private final String token;

    AdminChannel(List<String> seeds, String token) {
        this.seeds = List.copyOf(seeds);
        this.token = token;
    }

    ClusterStatusResponse status() {
        return call(s -> s.clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    }

    /** Starts moving partition's replica from {@code from} to {@code to}; the operator response as is. */
    OperatorResponse move(int partition, String from, String to) {
        return call(s -> s.moveReplica(MoveReplicaRequest.newBuilder().setPartitionId(partition)
            .setFromNodeId(from).setToNodeId(to).build()));
    }

    /** Asks for partition's leadership to move to {@code to}; the operator response as is. */
    OperatorResponse transferLeader(int partition, String to) {
        return call(s -> s.transferLeader(TransferLeaderRequest.newBuilder().setPartitionId(partition)
            .setToNodeId(to).build()));
    }

    private <T> T call(Function<GridAdminGrpc.GridAdminBlockingStub, T> rpc) {
        StatusRuntimeException last = null;
        for (String seed : seeds) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(seed).usePlaintext().build();
            try {
                ClusterStatusResponse status = stub(channel).clusterStatus(ClusterStatusRequest.getDefaultInstance());
                String leader = status.getNodesList().stream()
                    .filter(n -> n.getAddress().getNodeId().equals(status.getMetaLeaderNodeId()))
                    .map(n -> n.getAddress().getGrpcAddress()).findFirst().orElse(seed);
                if (leader.isEmpty() || leader.equals(seed)) {
                    return rpc.apply(stub(channel));
                }
                ManagedChannel leaderChannel = NettyChannelBuilder.forTarget(leader).usePlaintext().build();
                try {
                    return rpc.apply(stub(leaderChannel));
                } finally {
                    leaderChannel.shutdownNow();
                }
            } catch (StatusRuntimeException e) {
                last = e;
            } finally {
                channel.shutdownNow();
            }
        }
        throw last != null ? last : new IllegalStateException("no seeds");
    }

    private GridAdminGrpc.GridAdminBlockingStub stub(ManagedChannel channel) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return GridAdminGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
