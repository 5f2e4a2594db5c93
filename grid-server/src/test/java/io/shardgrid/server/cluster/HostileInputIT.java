package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.MultiGetRequest;
import io.shardgrid.proto.v1.SetRequest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
