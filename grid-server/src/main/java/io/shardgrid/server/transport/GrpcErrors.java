package io.shardgrid.server.transport;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.ErrorCode;
import io.shardgrid.proto.v1.NodeAddress;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The grid error model on gRPC: a unary call fails with the code's gRPC status and the full
 * {@link Error} (leader hint, map epoch) in the {@value #ERROR_TRAILER} trailer; a Batch or
 * multi-key result carries the same {@link Error} in its body. No stack trace leaves the server.
 */
public final class GrpcErrors {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);
    /**
     * The trailer's name: the proto's full name plus "-bin", as {@link ProtoUtils#keyForProto} derives
     * it. Shipped clients read it under this name, so it stays even though older docs said otherwise.
     */
    public static final String ERROR_TRAILER = "shardgrid.v1.error-bin";
    public static final Metadata.Key<Error> ERROR_KEY =
        Metadata.Key.of(ERROR_TRAILER, ProtoUtils.metadataMarshaller(Error.getDefaultInstance()));

    private GrpcErrors() {
    }

    /** Unwraps completion wrappers; anything that is not a GridException becomes INTERNAL (and is logged). */
    public static GridException toGrid(Throwable t) {
        Throwable cause = t;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof GridException g) {
            return g;
        }
        LOG.error("unexpected failure while serving a request", cause);
        return new GridException(GridErrorCode.INTERNAL, "internal error; see the server log");
    }

    public static Error toProto(GridException e, Supplier<PartitionMap> map) {
        Error.Builder b = Error.newBuilder()
            .setCode(ErrorCode.forNumber(e.code().wire()))
            .setMessage(e.detail())
            .setMapEpoch(e.mapEpoch());
        if (!e.leaderHint().isEmpty()) {
            PartitionMap m = map.get();
            NodeAddress.Builder hint = NodeAddress.newBuilder().setNodeId(e.leaderHint());
            if (m != null) {
                m.node(e.leaderHint()).ifPresent(d -> hint.setGrpcAddress(d.grpcAddress())
                    .setHttpAddress(d.httpAddress()).setRaftAddress(d.raftAddress()));
            }
            b.setLeaderHint(hint);
        }
        return b.build();
    }

    public static StatusRuntimeException toStatus(GridException e, Supplier<PartitionMap> map) {
        Metadata trailers = new Metadata();
        trailers.put(ERROR_KEY, toProto(e, map));
        return Status.fromCodeValue(e.code().grpcStatus()).withDescription(e.getMessage()).asRuntimeException(trailers);
    }
}
