package io.shardgrid.server.transport;

import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.CallLimits;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.CompareAndSetResponse;
import io.shardgrid.proto.v1.DeleteRequest;
import io.shardgrid.proto.v1.DeleteResponse;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.IncrementResponse;
import io.shardgrid.proto.v1.KeyValue;
import io.shardgrid.proto.v1.MultiGetRequest;
import io.shardgrid.proto.v1.MultiGetResponse;
import io.shardgrid.proto.v1.MultiSetRequest;
import io.shardgrid.proto.v1.MultiSetResponse;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.proto.v1.SetResponse;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The v1 data API over gRPC. Handlers never block: every call completes from the future the core
 * returns, so the server runs them on the transport thread (no hand-off per call).
 */
public final class GridDataService extends GridDataGrpc.GridDataImplBase {
    private final GridService grid;
    private final Supplier<PartitionMap> map;
    private final GridMetrics metrics;
    private final DataRequests requests;

    public GridDataService(GridService grid, Supplier<PartitionMap> map, GridMetrics metrics) {
        this.grid = grid;
        this.map = map;
        this.metrics = metrics;
        this.requests = new DataRequests(grid, map);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
        unary("get", () -> requests.get(request), out);
    }

    @Override
    public void set(SetRequest request, StreamObserver<SetResponse> out) {
        unary("set", () -> set(request), out);
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
        unary("delete", () -> delete(request), out);
    }

    @Override
    public void compareAndSet(CompareAndSetRequest request, StreamObserver<CompareAndSetResponse> out) {
        unary("cas", () -> compareAndSet(request), out);
    }

    @Override
    public void increment(IncrementRequest request, StreamObserver<IncrementResponse> out) {
        unary("increment", () -> increment(request), out);
    }

    @Override
    public void multiGet(MultiGetRequest request, StreamObserver<MultiGetResponse> out) {
        unary("multi_get", () -> {
            requests.checkEpoch(request.getHeader());
            checkKeysPerCall(request.getKeysCount(), "MultiGet keys");
            @SuppressWarnings("unchecked")
            CompletableFuture<GetResponse>[] parts = new CompletableFuture[request.getKeysCount()];
            for (int i = 0; i < parts.length; i++) {
                GetRequest one = GetRequest.newBuilder().setHeader(request.getHeader()).setKey(request.getKeys(i)).build();
                parts[i] = requests.settle(() -> requests.get(one), e -> GetResponse.newBuilder().setError(e).build());
            }
            return CompletableFuture.allOf(parts).thenApply(ignored -> {
                MultiGetResponse.Builder b = MultiGetResponse.newBuilder();
                long valueBytes = 0;
                for (CompletableFuture<GetResponse> part : parts) {
                    GetResponse r = part.join();
                    valueBytes += r.getValue().size();
                    if (valueBytes > CallLimits.MAX_RESPONSE_VALUE_BYTES) {
                        throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "MultiGet answer exceeds "
                            + CallLimits.MAX_RESPONSE_VALUE_BYTES + " value bytes; ask for fewer keys per call");
                    }
                    b.addResults(r);
                }
                return b.build();
            });
        }, out);
    }

    @Override
    public void multiSet(MultiSetRequest request, StreamObserver<MultiSetResponse> out) {
        unary("multi_set", () -> {
            requests.checkEpoch(request.getHeader());
            checkKeysPerCall(request.getEntriesCount(), "MultiSet entries");
            @SuppressWarnings("unchecked")
            CompletableFuture<SetResponse>[] parts = new CompletableFuture[request.getEntriesCount()];
            List<WriteCommand> writes = new ArrayList<>(parts.length);
            for (KeyValue kv : request.getEntriesList()) {
                writes.add(WriteCommand.set(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getTtlMs()));
            }
            // One call, so entries to one partition share a raft entry.
            List<CompletableFuture<WriteResult>> written = grid.writeAll(writes);
            for (int i = 0; i < parts.length; i++) {
                CompletableFuture<WriteResult> w = written.get(i);
                parts[i] = requests.settle(() -> w.thenApply(WriteOutcomes::setResponse),
                    e -> SetResponse.newBuilder().setError(e).build());
            }
            return CompletableFuture.allOf(parts).thenApply(ignored -> {
                MultiSetResponse.Builder b = MultiSetResponse.newBuilder();
                for (CompletableFuture<SetResponse> part : parts) {
                    b.addResults(part.join());
                }
                return b.build();
            });
        }, out);
    }

    @Override
    public StreamObserver<BatchRequest> batch(StreamObserver<BatchResponse> out) {
        return new BatchStream(out, requests, grid, metrics);
    }

    private CompletableFuture<SetResponse> set(SetRequest r) {
        return grid.write(requests.command(r)).thenApply(WriteOutcomes::setResponse);
    }

    private CompletableFuture<DeleteResponse> delete(DeleteRequest r) {
        return grid.write(requests.command(r)).thenApply(WriteOutcomes::deleteResponse);
    }

    private CompletableFuture<CompareAndSetResponse> compareAndSet(CompareAndSetRequest r) {
        return grid.write(requests.command(r)).thenApply(WriteOutcomes::compareAndSetResponse);
    }

    private CompletableFuture<IncrementResponse> increment(IncrementRequest r) {
        return grid.write(requests.command(r)).thenApply(WriteOutcomes::incrementResponse);
    }

    private static void checkKeysPerCall(int count, String what) {
        if (count > CallLimits.MAX_KEYS_PER_CALL) {
            throw GridException.invalidArgument(what + " " + count + " exceed the limit of "
                + CallLimits.MAX_KEYS_PER_CALL + " per call");
        }
    }

    private <T> void unary(String op, Supplier<CompletableFuture<T>> call, StreamObserver<T> out) {
        long startNs = System.nanoTime();
        DataRequests.start(call).whenComplete((value, error) -> {
            if (error == null) {
                metrics.request(op, GridErrorCode.OK, startNs);
                out.onNext(value);
                out.onCompleted();
            } else {
                GridException e = GrpcErrors.toGrid(error);
                metrics.request(op, e.code(), startNs);
                out.onError(GrpcErrors.toStatus(e, map));
            }
        });
    }
}
