package io.shardgrid.server.transport;

import com.google.protobuf.ByteString;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.DeleteRequest;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.ReadConsistency;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.WriteCommand;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The data API's requests in the core's terms, for unary calls and Batch ops alike: the map-epoch
 * check, writes as {@link WriteCommand}s, reads as core reads; and failures as error answers.
 */
final class DataRequests {
    private final GridService grid;
    private final Supplier<PartitionMap> map;

    DataRequests(GridService grid, Supplier<PartitionMap> map) {
        this.grid = grid;
        this.map = map;
    }

    CompletableFuture<GetResponse> get(GetRequest r) {
        checkEpoch(r.getHeader());
        boolean staleOk = r.getHeader().getConsistency() == ReadConsistency.STALE_OK;
        return grid.get(r.getKey().toByteArray(), staleOk).thenApply(result -> GetResponse.newBuilder()
            .setFound(result.found())
            .setValue(ByteString.copyFrom(result.value()))
            .setExpireAtMs(result.expireAtMs())
            .build());
    }

    WriteCommand command(SetRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.set(r.getKey().toByteArray(), r.getValue().toByteArray(), r.getTtlMs());
    }

    WriteCommand command(DeleteRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.delete(r.getKey().toByteArray());
    }

    WriteCommand command(CompareAndSetRequest r) {
        checkEpoch(r.getHeader());
        if (r.getExpectAbsent() && !r.getExpected().isEmpty()) {
            throw GridException.invalidArgument("expected must be empty when expect_absent is set");
        }
        return WriteCommand.compareAndSet(r.getKey().toByteArray(), r.getExpected().toByteArray(),
            r.getExpectAbsent(), r.getNewValue().toByteArray(), r.getTtlMs());
    }

    WriteCommand command(IncrementRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.increment(r.getKey().toByteArray(), r.getDelta(), r.getTtlMs());
    }

    static boolean isWrite(BatchOp op) {
        return switch (op.getOpCase()) {
            case SET, DELETE, COMPARE_AND_SET, INCREMENT -> true;
            case GET, OP_NOT_SET -> false;
        };
    }

    WriteCommand command(BatchOp op) {
        return switch (op.getOpCase()) {
            case SET -> command(op.getSet());
            case DELETE -> command(op.getDelete());
            case COMPARE_AND_SET -> command(op.getCompareAndSet());
            case INCREMENT -> command(op.getIncrement());
            case GET, OP_NOT_SET -> throw new IllegalArgumentException("not a write: " + op.getOpCase());
        };
    }

    /**
     * STALE_EPOCH, before anything is applied, when the caller names a partition map older than this
     * node's; 0 means the caller does not ask for the check.
     */
    void checkEpoch(RequestHeader header) {
        PartitionMap current = map.get();
        long epoch = header.getMapEpoch();
        if (epoch != 0 && current != null && epoch < current.epoch()) {
            throw new GridException(GridErrorCode.STALE_EPOCH, "the request names partition map epoch " + epoch
                + ", this node has " + current.epoch() + "; refresh the map", "", current.epoch(), null);
        }
    }

    /** A grid error as the wire's error message, with this node's map epoch. */
    io.shardgrid.proto.v1.Error toProto(GridException e) {
        return GrpcErrors.toProto(e, map);
    }

    /** Runs {@code call}, turning a synchronous throw (bad input) into a failed future. */
    static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A future that always completes normally: errors become a response carrying them. */
    <T> CompletableFuture<T> settle(Supplier<CompletableFuture<T>> call,
                                    Function<io.shardgrid.proto.v1.Error, T> onError) {
        return start(call).handle((value, error) -> error == null ? value
            : onError.apply(GrpcErrors.toProto(GrpcErrors.toGrid(error), map)));
    }
}
