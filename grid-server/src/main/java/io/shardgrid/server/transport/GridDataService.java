package io.shardgrid.server.transport;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.CallLimits;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
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
import io.shardgrid.proto.v1.ReadConsistency;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.proto.v1.SetResponse;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The v1 data API over gRPC. Handlers never block: every call completes from the future the core
 * returns, so the server runs them on the transport thread (no hand-off per call).
 */
public final class GridDataService extends GridDataGrpc.GridDataImplBase {
    /** Metric names of Batch ops, made once: the hot path asks for them on every op. */
    private static final Map<BatchOp.OpCase, String> BATCH_OP_NAMES = new EnumMap<>(BatchOp.OpCase.class);

    static {
        for (BatchOp.OpCase c : BatchOp.OpCase.values()) {
            BATCH_OP_NAMES.put(c, "batch_" + c.name().toLowerCase(Locale.ROOT));
        }
    }

    private final GridService grid;
    private final Supplier<PartitionMap> map;
    private final GridMetrics metrics;

    public GridDataService(GridService grid, Supplier<PartitionMap> map, GridMetrics metrics) {
        this.grid = grid;
        this.map = map;
        this.metrics = metrics;
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
        unary("get", () -> get(request), out);
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
            checkEpoch(request.getHeader());
            checkKeysPerCall(request.getKeysCount(), "MultiGet keys");
            @SuppressWarnings("unchecked")
            CompletableFuture<GetResponse>[] parts = new CompletableFuture[request.getKeysCount()];
            for (int i = 0; i < parts.length; i++) {
                GetRequest one = GetRequest.newBuilder().setHeader(request.getHeader()).setKey(request.getKeys(i)).build();
                parts[i] = settle(() -> get(one), e -> GetResponse.newBuilder().setError(e).build());
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
            checkEpoch(request.getHeader());
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
                parts[i] = settle(() -> w.thenApply(GridDataService::setResponse),
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
        return new BatchStream(out);
    }

    private CompletableFuture<GetResponse> get(GetRequest r) {
        checkEpoch(r.getHeader());
        boolean staleOk = r.getHeader().getConsistency() == ReadConsistency.STALE_OK;
        return grid.get(r.getKey().toByteArray(), staleOk).thenApply(result -> GetResponse.newBuilder()
            .setFound(result.found())
            .setValue(ByteString.copyFrom(result.value()))
            .setExpireAtMs(result.expireAtMs())
            .build());
    }

    private CompletableFuture<SetResponse> set(SetRequest r) {
        return grid.write(command(r)).thenApply(GridDataService::setResponse);
    }

    private CompletableFuture<DeleteResponse> delete(DeleteRequest r) {
        return grid.write(command(r)).thenApply(GridDataService::deleteResponse);
    }

    private CompletableFuture<CompareAndSetResponse> compareAndSet(CompareAndSetRequest r) {
        return grid.write(command(r)).thenApply(GridDataService::compareAndSetResponse);
    }

    private CompletableFuture<IncrementResponse> increment(IncrementRequest r) {
        return grid.write(command(r)).thenApply(GridDataService::incrementResponse);
    }

    private WriteCommand command(SetRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.set(r.getKey().toByteArray(), r.getValue().toByteArray(), r.getTtlMs());
    }

    private WriteCommand command(DeleteRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.delete(r.getKey().toByteArray());
    }

    private WriteCommand command(CompareAndSetRequest r) {
        checkEpoch(r.getHeader());
        if (r.getExpectAbsent() && !r.getExpected().isEmpty()) {
            throw GridException.invalidArgument("expected must be empty when expect_absent is set");
        }
        return WriteCommand.compareAndSet(r.getKey().toByteArray(), r.getExpected().toByteArray(),
            r.getExpectAbsent(), r.getNewValue().toByteArray(), r.getTtlMs());
    }

    private WriteCommand command(IncrementRequest r) {
        checkEpoch(r.getHeader());
        return WriteCommand.increment(r.getKey().toByteArray(), r.getDelta(), r.getTtlMs());
    }

    /**
     * STALE_EPOCH, before anything is applied, when the caller names a partition map older than this
     * node's; 0 means the caller does not ask for the check.
     */
    private void checkEpoch(RequestHeader header) {
        PartitionMap current = map.get();
        long epoch = header.getMapEpoch();
        if (epoch != 0 && current != null && epoch < current.epoch()) {
            throw new GridException(GridErrorCode.STALE_EPOCH, "the request names partition map epoch " + epoch
                + ", this node has " + current.epoch() + "; refresh the map", "", current.epoch(), null);
        }
    }

    private static SetResponse setResponse(WriteResult result) {
        requireOk(result);
        return SetResponse.getDefaultInstance();
    }

    private static DeleteResponse deleteResponse(WriteResult result) {
        requireOk(result);
        return DeleteResponse.newBuilder().setDeleted(result.applied()).build();
    }

    /** A failed expectation is an answer, not an error: OK with swapped=false, unary and Batch alike. */
    private static CompareAndSetResponse compareAndSetResponse(WriteResult result) {
        if (result.status() != PartitionStore.CONDITION_FAILED) {
            requireOk(result);
        }
        return CompareAndSetResponse.newBuilder().setSwapped(result.applied()).build();
    }

    private static IncrementResponse incrementResponse(WriteResult result) {
        requireOk(result);
        return IncrementResponse.newBuilder().setValue(result.number()).build();
    }

    static void requireOk(WriteResult result) {
        switch (result.status()) {
            case PartitionStore.OK -> {
            }
            case PartitionStore.FULL -> throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED,
                "the node's memory budget is full; nothing was written");
            case PartitionStore.WRONG_TYPE -> throw new GridException(GridErrorCode.WRONG_TYPE,
                "the value is not a decimal signed 64-bit integer, or the increment would overflow");
            case PartitionStore.CONDITION_FAILED -> throw new GridException(GridErrorCode.CONDITION_FAILED,
                "the expected value did not match");
            case PartitionStore.FAILED -> throw new GridException(GridErrorCode.INTERNAL,
                "the write failed while the partition's replicas applied it (the server log says why); the"
                    + " partition is still serving");
            default -> throw new GridException(GridErrorCode.INTERNAL, "unknown store outcome " + result.status());
        }
    }

    /** Runs {@code call}, turning a synchronous throw (bad input) into a failed future. */
    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A future that always completes normally: errors become a response carrying them. */
    private <T> CompletableFuture<T> settle(Supplier<CompletableFuture<T>> call,
                                            Function<io.shardgrid.proto.v1.Error, T> onError) {
        return start(call).handle((value, error) -> error == null ? value
            : onError.apply(GrpcErrors.toProto(GrpcErrors.toGrid(error), map)));
    }

    private static void checkKeysPerCall(int count, String what) {
        if (count > CallLimits.MAX_KEYS_PER_CALL) {
            throw GridException.invalidArgument(what + " " + count + " exceed the limit of "
                + CallLimits.MAX_KEYS_PER_CALL + " per call");
        }
    }

    private <T> void unary(String op, Supplier<CompletableFuture<T>> call, StreamObserver<T> out) {
        long startNs = System.nanoTime();
        start(call).whenComplete((value, error) -> {
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

    /** One client's Batch stream: each request message is answered by one response message. */
    private final class BatchStream implements StreamObserver<BatchRequest> {
        private final StreamObserver<BatchResponse> out;
        private int inFlight;
        private int opsInFlight;
        private boolean halfClosed;

        BatchStream(StreamObserver<BatchResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(BatchRequest request) {
            List<BatchOp> ops = request.getOpsList();
            GridException refused = null;
            synchronized (this) {
                inFlight++;
                if (ops.size() > CallLimits.MAX_OPS_PER_MESSAGE) {
                    refused = GridException.invalidArgument("Batch message of " + ops.size()
                        + " ops exceeds the limit of " + CallLimits.MAX_OPS_PER_MESSAGE);
                } else if (opsInFlight + ops.size() > CallLimits.MAX_OPS_IN_FLIGHT_PER_STREAM) {
                    refused = new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "this Batch stream has "
                        + opsInFlight + " ops in flight; the limit is " + CallLimits.MAX_OPS_IN_FLIGHT_PER_STREAM);
                } else {
                    opsInFlight += ops.size();
                }
            }
            int admitted = refused == null ? ops.size() : 0;
            @SuppressWarnings("unchecked")
            CompletableFuture<BatchResult>[] results = new CompletableFuture[ops.size()];
            if (refused != null) {
                // Nothing of a refused message is applied: every op answers the refusal.
                for (int i = 0; i < results.length; i++) {
                    BatchOp op = ops.get(i);
                    results[i] = isWrite(op) ? execute(op, CompletableFuture.failedFuture(refused))
                        : CompletableFuture.completedFuture(readRefused(op, refused));
                }
                respond(results, admitted);
                return;
            }
            // Writes go to the core together, so those of one message to one partition share an entry.
            List<WriteCommand> writes = new ArrayList<>();
            List<Integer> writeSlots = new ArrayList<>();
            for (int i = 0; i < results.length; i++) {
                BatchOp op = ops.get(i);
                if (isWrite(op)) {
                    try {
                        writes.add(command(op));
                        writeSlots.add(i);
                    } catch (RuntimeException e) {
                        results[i] = execute(op, CompletableFuture.failedFuture(e));
                    }
                } else {
                    results[i] = execute(op, null);
                }
            }
            if (!writes.isEmpty()) {
                List<CompletableFuture<WriteResult>> written = grid.writeAll(writes);
                for (int k = 0; k < written.size(); k++) {
                    int i = writeSlots.get(k);
                    results[i] = execute(ops.get(i), written.get(k));
                }
            }
            respond(results, admitted);
        }

        /** Sends one response message once every result is in; {@code admitted} ops leave the in-flight count. */
        private void respond(CompletableFuture<BatchResult>[] results, int admitted) {
            CompletableFuture.allOf(results).whenComplete((ignored, error) -> {
                BatchResponse.Builder b = BatchResponse.newBuilder();
                long valueBytes = 0;
                for (CompletableFuture<BatchResult> r : results) {
                    BatchResult result = r.join();
                    if (result.hasGet()) {
                        valueBytes += result.getGet().getValue().size();
                        if (valueBytes > CallLimits.MAX_RESPONSE_VALUE_BYTES) {
                            // A read over the answer's budget reports that instead of its value.
                            result = BatchResult.newBuilder().setCorrelationId(result.getCorrelationId())
                                .setGet(GetResponse.newBuilder().setError(GrpcErrors.toProto(new GridException(
                                    GridErrorCode.RESOURCE_EXHAUSTED, "Batch answer exceeds "
                                        + CallLimits.MAX_RESPONSE_VALUE_BYTES + " value bytes; read fewer keys "
                                        + "per message"), map))).build();
                        }
                    }
                    b.addResults(result);
                }
                synchronized (this) {
                    out.onNext(b.build());
                    inFlight--;
                    opsInFlight -= admitted;
                    if (halfClosed && inFlight == 0) {
                        out.onCompleted();
                    }
                }
            });
        }

        private static boolean isWrite(BatchOp op) {
            return switch (op.getOpCase()) {
                case SET, DELETE, COMPARE_AND_SET, INCREMENT -> true;
                case GET, OP_NOT_SET -> false;
            };
        }

        private WriteCommand command(BatchOp op) {
            return switch (op.getOpCase()) {
                case SET -> GridDataService.this.command(op.getSet());
                case DELETE -> GridDataService.this.command(op.getDelete());
                case COMPARE_AND_SET -> GridDataService.this.command(op.getCompareAndSet());
                case INCREMENT -> GridDataService.this.command(op.getIncrement());
                case GET, OP_NOT_SET -> throw new IllegalArgumentException("not a write: " + op.getOpCase());
            };
        }

        /** A read (or an op naming nothing) of a message that was not admitted. */
        private BatchResult readRefused(BatchOp op, GridException refused) {
            metrics.request(BATCH_OP_NAMES.get(op.getOpCase()), refused.code(), System.nanoTime());
            return BatchResult.newBuilder().setCorrelationId(op.getCorrelationId())
                .setGet(GetResponse.newBuilder().setError(GrpcErrors.toProto(refused, map))).build();
        }

        /** The op's result; {@code written} is a write op's future from the core (null for reads). */
        private CompletableFuture<BatchResult> execute(BatchOp op, CompletableFuture<WriteResult> written) {
            long id = op.getCorrelationId();
            long startNs = System.nanoTime();
            String name = BATCH_OP_NAMES.get(op.getOpCase());
            CompletableFuture<BatchResult> result = switch (op.getOpCase()) {
                case GET -> settle(() -> get(op.getGet()).thenApply(r -> BatchResult.newBuilder()
                        .setCorrelationId(id).setGet(r).build()),
                    e -> BatchResult.newBuilder().setCorrelationId(id).setGet(GetResponse.newBuilder().setError(e)).build());
                case SET -> settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                        .setCorrelationId(id).setSet(setResponse(w)).build()),
                    e -> BatchResult.newBuilder().setCorrelationId(id).setSet(SetResponse.newBuilder().setError(e)).build());
                case DELETE -> settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                        .setCorrelationId(id).setDelete(deleteResponse(w)).build()),
                    e -> BatchResult.newBuilder().setCorrelationId(id)
                        .setDelete(DeleteResponse.newBuilder().setError(e)).build());
                case COMPARE_AND_SET -> settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                        .setCorrelationId(id).setCompareAndSet(compareAndSetResponse(w)).build()),
                    e -> BatchResult.newBuilder().setCorrelationId(id)
                        .setCompareAndSet(CompareAndSetResponse.newBuilder().setError(e)).build());
                case INCREMENT -> settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                        .setCorrelationId(id).setIncrement(incrementResponse(w)).build()),
                    e -> BatchResult.newBuilder().setCorrelationId(id)
                        .setIncrement(IncrementResponse.newBuilder().setError(e)).build());
                case OP_NOT_SET -> CompletableFuture.completedFuture(BatchResult.newBuilder().setCorrelationId(id)
                    .setGet(GetResponse.newBuilder().setError(GrpcErrors.toProto(
                        GridException.invalidArgument("batch op " + id + " names no operation"), map))).build());
            };
            return result.whenComplete((r, e) -> metrics.request(name, codeOf(r), startNs));
        }

        private GridErrorCode codeOf(BatchResult r) {
            io.shardgrid.proto.v1.Error e = switch (r.getResultCase()) {
                case GET -> r.getGet().getError();
                case SET -> r.getSet().getError();
                case DELETE -> r.getDelete().getError();
                case COMPARE_AND_SET -> r.getCompareAndSet().getError();
                case INCREMENT -> r.getIncrement().getError();
                case RESULT_NOT_SET -> null;
            };
            return e == null ? GridErrorCode.OK : GridErrorCode.fromWire(e.getCodeValue());
        }

        @Override
        public void onError(Throwable t) {
            // The client went away; in-flight writes still commit, their replies are dropped.
        }

        @Override
        public synchronized void onCompleted() {
            halfClosed = true;
            if (inFlight == 0) {
                out.onCompleted();
            }
        }
    }
}
