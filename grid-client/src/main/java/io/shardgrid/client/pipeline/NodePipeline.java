package io.shardgrid.client.pipeline;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.GridDataGrpc;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pipelining to one node: concurrent operations ride together in messages of one bidirectional
 * Batch stream, and replies are matched back by correlation id.
 *
 * <p>Design notes: callers only enqueue; the first to find no flush scheduled hands one flush task
 * to the flusher, which drains the queue into messages of up to {@code maxOps} ops or
 * {@code maxBytes} bytes until it is empty. A message therefore closes as soon as the queue is
 * empty — no linger timer — and whatever a burst enqueued before the flusher ran rides together. In-flight ops are bounded by a semaphore: past it a call
 * fails fast with RESOURCE_EXHAUSTED instead of queueing without bound. If the stream breaks,
 * every op in flight fails with UNAVAILABLE and a new stream is opened on the next call.
 */
public final class NodePipeline implements AutoCloseable {
    private final ManagedChannel channel;
    private final int maxOps;
    private final int maxBytes;
    private final Semaphore inFlight;
    private final Queue<BatchOp> queue = new ConcurrentLinkedQueue<>();
    private final Map<Long, CompletableFuture<BatchResult>> pending = new ConcurrentHashMap<>();
    private final AtomicLong correlationIds = new AtomicLong();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Executor flusher;
    private final Runnable flushTask = this::flush;
    private final AtomicLong messagesSent = new AtomicLong();
    private Stream stream;

    public NodePipeline(ManagedChannel channel, int maxOps, int maxBytes, int maxInFlight, Executor flusher) {
        this.channel = channel;
        this.flusher = flusher;
        this.maxOps = maxOps;
        this.maxBytes = maxBytes;
        this.inFlight = new Semaphore(maxInFlight);
    }

    /**
     * Sends {@code op} (its correlation id is assigned here) and completes with its result, or
     * with a {@link java.util.concurrent.TimeoutException} if no answer came within {@code timeoutMs}
     * (the op is then forgotten; a late answer is dropped).
     */
    public CompletableFuture<BatchResult> submit(BatchOp.Builder op, long timeoutMs) {
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.failedFuture(new GridException(GridErrorCode.RESOURCE_EXHAUSTED,
                "too many operations in flight to one node; slow down or raise maxInFlightPerNode"));
        }
        long id = correlationIds.incrementAndGet();
        CompletableFuture<BatchResult> result = new CompletableFuture<>();
        pending.put(id, result);
        result.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            if (e instanceof TimeoutException && pending.remove(id) != null) {
                inFlight.release();
            }
        });
        queue.add(op.setCorrelationId(id).build());
        if (flushScheduled.compareAndSet(false, true)) {
            flusher.execute(flushTask);
        }
        return result;
    }

    /** Batch messages sent so far (to observe coalescing). */
    public long messagesSent() {
        return messagesSent.get();
    }

    /** Runs on the flusher: sends what is queued, one message per round, until the queue is empty. */
    private void flush() {
        while (true) {
            BatchRequest.Builder message = BatchRequest.newBuilder();
            int bytes = 0;
            BatchOp op;
            while (message.getOpsCount() < maxOps && bytes < maxBytes && (op = queue.poll()) != null) {
                message.addOps(op);
                bytes += op.getSerializedSize();
            }
            if (message.getOpsCount() > 0) {
                send(message.build());
                continue;
            }
            flushScheduled.set(false);
            if (queue.isEmpty() || !flushScheduled.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private synchronized void send(BatchRequest message) {
        Stream current = stream;
        try {
            if (current == null) {
                // Kept in a local: opening the call can fail at once, and onError then clears the field.
                current = new Stream();
                stream = current;
                GridDataGrpc.newStub(channel).batch(current);
            }
            current.requests.onNext(message);
            messagesSent.incrementAndGet();
        } catch (RuntimeException e) {
            // Whatever failed, the flusher must live on and every op of this message must get an answer.
            if (current != null) {
                current.fail(e);
            }
            for (BatchOp op : message.getOpsList()) {
                fail(op.getCorrelationId(), e);
            }
        }
    }

    private void complete(BatchResult result) {
        CompletableFuture<BatchResult> f = pending.remove(result.getCorrelationId());
        if (f != null) {
            inFlight.release();
            f.complete(result);
        }
    }

    private void fail(long id, Throwable cause) {
        CompletableFuture<BatchResult> f = pending.remove(id);
        if (f != null) {
            inFlight.release();
            // The op may have reached the node and been applied before the stream broke.
            f.completeExceptionally(new GridException(GridErrorCode.OUTCOME_UNKNOWN,
                "connection to the node failed: " + cause.getMessage(), cause));
        }
    }

    private synchronized void streamEnded(Stream ended, Throwable cause) {
        if (stream == ended) {
            stream = null;
        }
        // Every op sent on this stream is now without an answer.
        for (Long id : ended.sentIds()) {
            fail(id, cause);
        }
    }

    @Override
    public synchronized void close() {
        if (stream != null) {
            stream.requests.onCompleted();
            stream = null;
        }
    }

    /** One Batch stream and the ids of the ops that went out on it. */
    private final class Stream implements ClientResponseObserver<BatchRequest, BatchResponse> {
        ClientCallStreamObserver<BatchRequest> requests;

        @Override
        public void beforeStart(ClientCallStreamObserver<BatchRequest> requestStream) {
            this.requests = requestStream;
        }

        Iterable<Long> sentIds() {
            return pending.keySet();
        }

        void fail(Throwable cause) {
            streamEnded(this, cause);
        }

        @Override
        public void onNext(BatchResponse response) {
            for (BatchResult result : response.getResultsList()) {
                complete(result);
            }
        }

        @Override
        public void onError(Throwable t) {
            streamEnded(this, t);
        }

        @Override
        public void onCompleted() {
            streamEnded(this, new IllegalStateException("the node closed the stream"));
        }
    }
}
