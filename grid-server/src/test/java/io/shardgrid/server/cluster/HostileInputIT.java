package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.DeleteRequest;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.ErrorCode;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.MultiGetRequest;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/**
 * Random hostile input against one real node: HTTP requests with arbitrary query strings (bad
 * escapes, repeated and unknown parameters, oversized keys, odd TTLs) written to its socket as they
 * are, and gRPC requests with random key and value sizes, TTLs and key counts. Every case must get
 * a success or a client error (HTTP 2xx/4xx; gRPC OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED), never
 * a server error, and the node must keep serving. The number of cases and the answers seen are
 * printed. A failure prints QuickTheories' seed; replay it with {@code -DQT_SEED=N}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {
    private static final int EXAMPLES = 300;
    /** What a query piece is made of: escapes, separators and the odd byte beside plain text. */
    private static final String[] PIECES = {"key", "value", "ttl", "seconds", "=", "&", "%", "%zz", "%4", "%00",
        "%ff", "%2B", "+", ";", "-1", "99999999999999999999", "0", "1.5", "", "k", "x".repeat(1100), "%E2%82%AC",
        "\u00e9", "#", "?", "//", ".."};
    private static final Set<Integer> HTTP_OK = Set.of(200, 201, 204, 400, 401, 404, 405, 409, 413, 414, 429, 431);
    private static final Set<Status.Code> GRPC_OK = Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
        Status.Code.RESOURCE_EXHAUSTED, Status.Code.NOT_FOUND);
    /** What one op of a Batch may answer on a healthy single node: success or a definite client-side error. */
    private static final Set<ErrorCode> BATCH_OP_OK = Set.of(ErrorCode.OK, ErrorCode.INVALID_ARGUMENT,
        ErrorCode.RESOURCE_EXHAUSTED, ErrorCode.WRONG_TYPE, ErrorCode.STALE_EPOCH);
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    InJvmGridCluster cluster;
    TestRoutingClient client;
    final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new InJvmGridCluster(dir, 1, 4, 20_000);
        cluster.start(1, true, "");
        cluster.awaitReady();
        client = new TestRoutingClient(cluster.grpcAddresses());
    }

    /** A stub whose deadline starts now (a stub's deadline is fixed when it is made). */
    private GridDataGrpc.GridDataBlockingStub stub() {
        return client.stubAt(cluster.config(1).grpcAddress());
    }

    @AfterAll
    void stop() {
        System.out.println("hostile input: " + new TreeMap<>(answers));
        client.close();
        cluster.close();
    }

    private static Gen<String> queries() {
        return lists().of(integers().between(0, PIECES.length - 1)).ofSizeBetween(0, 12)
            .map(picks -> {
                StringBuilder q = new StringBuilder();
                for (int i : picks) {
                    q.append(PIECES[i]);
                }
                return q.toString();
            });
    }

    @Test
    void everyHttpQueryGetsASuccessOrAClientError() throws Exception {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(EXAMPLES).forAll(integers().between(0, 3), queries())
            .checkAssert((endpoint, query) -> {
                String path = new String[] {"/set", "/get", "/delete", "/join"}[endpoint];
                int status = rawGet(path + "?" + query);
                answers.computeIfAbsent("http " + status, k -> new AtomicInteger()).incrementAndGet();
                cases.incrementAndGet();
                assertThat(status).as("%s?%s", path, query).isIn(HTTP_OK);
            });
        System.out.println("HTTP: " + cases + " hostile queries");
        assertThat(rawGet("/health/live")).isEqualTo(200);
        assertThat(rawGet("/set?key=after-fuzz&value=ok")).isEqualTo(200);
    }

    @Test
    void everyGrpcRequestGetsASuccessOrAClientError() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(EXAMPLES)
            .forAll(integers().between(0, 1100), integers().between(0, 70_000), longs().between(-5_000, 10_000_000_000L),
                integers().between(0, 12_000))
            .checkAssert((keyLength, valueLength, ttlMs, keyCount) -> {
                Random random = new Random(keyLength * 31L + valueLength);
                record(() -> stub().set(SetRequest.newBuilder().setKey(bytes(random, keyLength))
                    .setValue(bytes(random, valueLength)).setTtlMs(ttlMs).build()));
                record(() -> stub().get(GetRequest.newBuilder().setKey(bytes(random, keyLength)).build()));
                MultiGetRequest.Builder many = MultiGetRequest.newBuilder();
                for (int i = 0; i < keyCount; i++) {
                    many.addKeys(ByteString.copyFromUtf8("k" + (i % 50)));
                }
                record(() -> stub().multiGet(many.build()));
                cases.addAndGet(3);
            });
        System.out.println("gRPC: " + cases + " hostile requests");
        stub().set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-fuzz"))
            .setValue(ByteString.copyFromUtf8("ok")).build());
        assertThat(stub().get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-fuzz")).build())
            .getValue().toStringUtf8()).isEqualTo("ok");
    }

    /**
     * Batch streams of 1–4 messages, each of 0–80 random ops (every kind, an op with no kind set,
     * keys 0–1,100 B, values 0–20 KB, TTLs −5 s…115 days, any increment delta, stale and unknown
     * map epochs, an unknown consistency level, repeated correlation ids): each message is answered
     * with one result per op carrying its correlation id, each result a success or a client error.
     */
    @Test
    void everyBatchStreamOpGetsASuccessOrAClientError() {
        AtomicInteger ops = new AtomicInteger();
        qt().withExamples(EXAMPLES).forAll(longs().all(), integers().between(1, 4), integers().between(0, 80))
            .checkAssert((seed, messages, opsPerMessage) -> {
                Random random = new Random(seed);
                List<BatchRequest> requests = new ArrayList<>();
                for (int m = 0; m < messages; m++) {
                    BatchRequest.Builder request = BatchRequest.newBuilder();
                    for (int i = 0; i < random.nextInt(opsPerMessage + 1); i++) {
                        request.addOps(randomOp(random));
                    }
                    requests.add(request.build());
                }
                ops.addAndGet(checkBatchStream(requests));
            });
        // One message over the ops-per-message bound is refused whole, op by op.
        BatchRequest.Builder tooMany = BatchRequest.newBuilder();
        for (int i = 0; i <= 10_000; i++) {
            tooMany.addOps(BatchOp.newBuilder().setCorrelationId(i).setSet(SetRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("over-" + i)).setValue(ByteString.copyFromUtf8("v"))));
        }
        checkBatchStream(List.of(tooMany.build()));
        assertThat(stub().get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("over-0")).build()).getFound())
            .as("an op of a refused message was applied").isFalse();
        System.out.println("Batch: " + ops + " hostile ops in " + EXAMPLES + " streams");
    }

    /**
     * Random bytes sent as the request of Set, MultiGet and Batch, as a client with a broken
     * encoder would: a body that is not a valid message is a client error, never INTERNAL.
     */
    @Test
    void randomBytesAsARequestGetAClientError() {
        AtomicInteger cases = new AtomicInteger();
        qt().withExamples(EXAMPLES).forAll(longs().all(), integers().between(0, 2_000), integers().between(0, 2))
            .checkAssert((seed, length, method) -> {
                byte[] body = new byte[length];
                new Random(seed).nextBytes(body);
                String name = new String[] {"Set", "MultiGet", "Batch"}[method];
                MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(name.equals("Batch") ? MethodDescriptor.MethodType.BIDI_STREAMING
                        : MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(GridDataGrpc.SERVICE_NAME, name))
                    .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
                CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
                record(() -> {
                    var call = client.channel(cluster.config(1).grpcAddress()).newCall(raw, options);
                    if (name.equals("Batch")) {
                        java.util.Iterator<byte[]> answers = ClientCalls.blockingServerStreamingCall(call, body);
                        answers.forEachRemaining(answer -> { });
                    } else {
                        ClientCalls.blockingUnaryCall(call, body);
                    }
                });
                cases.incrementAndGet();
            });
        System.out.println("raw bytes: " + cases + " undecodable or odd requests");
        assertThat(stub().get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-fuzz")).build()))
            .isNotNull();
    }

    private static BatchOp randomOp(Random random) {
        RequestHeader header = RequestHeader.newBuilder().setMapEpoch(random.nextInt(4) == 0 ? random.nextInt(5) : 0)
            .setConsistencyValue(random.nextInt(10) == 0 ? 7 : random.nextInt(2)).build();
        ByteString key = bytes(random, random.nextInt(8) == 0 ? random.nextInt(1_101) : 1 + random.nextInt(3));
        ByteString value = bytes(random, random.nextInt(8) == 0 ? random.nextInt(20_001) : random.nextInt(16));
        long ttlMs = random.nextInt(4) == 0 ? -5_000 + (long) (random.nextDouble() * 10_000_005_000L) : 0;
        BatchOp.Builder op = BatchOp.newBuilder().setCorrelationId(random.nextInt(64));
        switch (random.nextInt(6)) {
            case 0 -> op.setGet(GetRequest.newBuilder().setHeader(header).setKey(key));
            case 1 -> op.setSet(SetRequest.newBuilder().setHeader(header).setKey(key).setValue(value).setTtlMs(ttlMs));
            case 2 -> op.setDelete(DeleteRequest.newBuilder().setHeader(header).setKey(key));
            case 3 -> op.setCompareAndSet(CompareAndSetRequest.newBuilder().setHeader(header).setKey(key)
                .setExpected(value).setExpectAbsent(random.nextBoolean()).setNewValue(value).setTtlMs(ttlMs));
            case 4 -> op.setIncrement(IncrementRequest.newBuilder().setHeader(header).setKey(key)
                .setDelta(random.nextLong()).setTtlMs(ttlMs));
            default -> { } // an op with no kind set
        }
        return op.build();
    }

    /** Sends the messages on one stream; checks each answer matches its request op for op; returns ops sent. */
    private int checkBatchStream(List<BatchRequest> requests) {
        List<BatchResponse> responses = java.util.Collections.synchronizedList(new ArrayList<>());
        Status[] end = new Status[1];
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<BatchRequest> in = GridDataGrpc.newStub(client.channel(cluster.config(1).grpcAddress()))
            .withDeadlineAfter(30, TimeUnit.SECONDS).batch(new StreamObserver<>() {
                @Override
                public void onNext(BatchResponse response) {
                    responses.add(response);
                }

                @Override
                public void onError(Throwable t) {
                    end[0] = Status.fromThrowable(t);
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    end[0] = Status.OK;
                    done.countDown();
                }
            });
        requests.forEach(in::onNext);
        in.onCompleted();
        try {
            assertThat(done.await(60, TimeUnit.SECONDS)).as("the Batch stream ended").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for a Batch stream", e);
        }
        answers.computeIfAbsent("batch stream " + end[0].getCode(), k -> new AtomicInteger()).incrementAndGet();
        assertThat(end[0].getCode()).as("stream status %s", end[0]).isIn(GRPC_OK);
        if (end[0].isOk()) {
            assertThat(responses).as("one answer per message").hasSize(requests.size());
            List<Long> sent = new ArrayList<>();
            requests.forEach(r -> r.getOpsList().forEach(op -> sent.add(op.getCorrelationId())));
            List<Long> answered = new ArrayList<>();
            for (BatchResponse response : responses) {
                for (BatchResult result : response.getResultsList()) {
                    answered.add(result.getCorrelationId());
                    ErrorCode code = errorOf(result).getCode();
                    answers.computeIfAbsent("batch op " + code, k -> new AtomicInteger()).incrementAndGet();
                    assertThat(code).as("op %s", result).isIn(BATCH_OP_OK);
                }
            }
            assertThat(answered).as("correlation ids answered").containsExactlyInAnyOrderElementsOf(sent);
        }
        return requests.stream().mapToInt(BatchRequest::getOpsCount).sum();
    }

    private static Error errorOf(BatchResult result) {
        return switch (result.getResultCase()) {
            case GET -> result.getGet().getError();
            case SET -> result.getSet().getError();
            case DELETE -> result.getDelete().getError();
            case COMPARE_AND_SET -> result.getCompareAndSet().getError();
            case INCREMENT -> result.getIncrement().getError();
            case RESULT_NOT_SET -> Error.newBuilder().setCode(ErrorCode.INTERNAL)
                .setMessage("a result with no kind").build();
        };
    }

    private void record(Runnable call) {
        Status.Code code;
        try {
            call.run();
            code = Status.Code.OK;
        } catch (StatusRuntimeException e) {
            code = e.getStatus().getCode();
        }
        answers.computeIfAbsent("grpc " + code, k -> new AtomicInteger()).incrementAndGet();
        assertThat(code).isIn(GRPC_OK);
    }

    private static ByteString bytes(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    /** Writes the request line as given, so the server's own parsing is what is tried; returns the status. */
    private int rawGet(String target) {
        String[] hostPort = cluster.config(1).httpAddress().split(":");
        try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target.replace(" ", "%20") + " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
                line.write(c);
            }
            String status = line.toString(StandardCharsets.US_ASCII);
            assertThat(status).as("status line for %s", target).startsWith("HTTP/1.1 ");
            return Integer.parseInt(status.substring(9, 12));
        } catch (java.io.IOException e) {
            throw new AssertionError("no answer to GET " + target + ": " + e, e);
        }
    }
}
