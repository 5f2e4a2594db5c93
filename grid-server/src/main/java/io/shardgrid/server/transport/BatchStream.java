package io.shardgrid.server.transport;

import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.CallLimits;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.CompareAndSetResponse;
import io.shardgrid.proto.v1.DeleteResponse;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.IncrementResponse;
import io.shardgrid.proto.v1.SetResponse;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One client's Batch stream: each request message is answered by one response message, in the
 * order its ops complete. Bounds what one stream may hold (ops per message, ops in flight) and what
 * one answer may carry; nothing of a refused message is applied.
 */
final class BatchStream implements StreamObserver<BatchRequest> {
    /** Metric names of Batch ops, made once: the hot path asks for them on every op. */
    private static final Map<BatchOp.OpCase, String> OP_NAMES = new EnumMap<>(BatchOp.OpCase.class);

    static {
        for (BatchOp.OpCase c : BatchOp.OpCase.values()) {
            OP_NAMES.put(c, "batch_" + c.name().toLowerCase(Locale.ROOT));
        }
    }

    private final DataRequests requests;
    private final GridService grid;
    private final GridMetrics metrics;
    private final StreamObserver<BatchResponse> out;
    private int inFlight;
    private int opsInFlight;
    private boolean halfClosed;

    BatchStream(StreamObserver<BatchResponse> out, DataRequests requests, GridService grid, GridMetrics metrics) {
        this.out = out;
        this.requests = requests;
        this.grid = grid;
        this.metrics = metrics;
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
                results[i] = DataRequests.isWrite(op) ? execute(op, CompletableFuture.failedFuture(refused))
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
            if (DataRequests.isWrite(op)) {
                try {
                    writes.add(requests.command(op));
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
                            .setGet(GetResponse.newBuilder().setError(requests.toProto(new GridException(
                                GridErrorCode.RESOURCE_EXHAUSTED, "Batch answer exceeds "
                                    + CallLimits.MAX_RESPONSE_VALUE_BYTES + " value bytes; read fewer keys "
                                    + "per message")))).build();
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

    /** A read (or an op naming nothing) of a message that was not admitted. */
    private BatchResult readRefused(BatchOp op, GridException refused) {
        metrics.request(OP_NAMES.get(op.getOpCase()), refused.code(), System.nanoTime());
        return BatchResult.newBuilder().setCorrelationId(op.getCorrelationId())
            .setGet(GetResponse.newBuilder().setError(requests.toProto(refused))).build();
    }

    /** The op's result; {@code written} is a write op's future from the core (null for reads). */
    private CompletableFuture<BatchResult> execute(BatchOp op, CompletableFuture<WriteResult> written) {
        long id = op.getCorrelationId();
        long startNs = System.nanoTime();
        String name = OP_NAMES.get(op.getOpCase());
        CompletableFuture<BatchResult> result = switch (op.getOpCase()) {
            case GET -> requests.settle(() -> requests.get(op.getGet()).thenApply(r -> BatchResult.newBuilder()
                    .setCorrelationId(id).setGet(r).build()),
                e -> BatchResult.newBuilder().setCorrelationId(id).setGet(GetResponse.newBuilder().setError(e)).build());
            case SET -> requests.settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                    .setCorrelationId(id).setSet(WriteOutcomes.setResponse(w)).build()),
                e -> BatchResult.newBuilder().setCorrelationId(id).setSet(SetResponse.newBuilder().setError(e)).build());
            case DELETE -> requests.settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                    .setCorrelationId(id).setDelete(WriteOutcomes.deleteResponse(w)).build()),
                e -> BatchResult.newBuilder().setCorrelationId(id)
                    .setDelete(DeleteResponse.newBuilder().setError(e)).build());
            case COMPARE_AND_SET -> requests.settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                    .setCorrelationId(id).setCompareAndSet(WriteOutcomes.compareAndSetResponse(w)).build()),
                e -> BatchResult.newBuilder().setCorrelationId(id)
                    .setCompareAndSet(CompareAndSetResponse.newBuilder().setError(e)).build());
            case INCREMENT -> requests.settle(() -> written.thenApply(w -> BatchResult.newBuilder()
                    .setCorrelationId(id).setIncrement(WriteOutcomes.incrementResponse(w)).build()),
                e -> BatchResult.newBuilder().setCorrelationId(id)
                    .setIncrement(IncrementResponse.newBuilder().setError(e)).build());
            case OP_NOT_SET -> CompletableFuture.completedFuture(BatchResult.newBuilder().setCorrelationId(id)
                .setGet(GetResponse.newBuilder().setError(requests.toProto(
                    GridException.invalidArgument("batch op " + id + " names no operation")))).build());
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
