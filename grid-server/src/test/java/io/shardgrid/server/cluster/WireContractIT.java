package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.ErrorCode;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GetResponse;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.IncrementResponse;
import io.shardgrid.proto.v1.OperatorResponse;
import io.shardgrid.proto.v1.PartitionAssignment;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.proto.v1.RequestHeader;
import io.shardgrid.proto.v1.SetRequest;
import io.shardgrid.proto.v1.TransferLeaderRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire contract as a client in another language sees it: this test talks to a real 3-node
 * cluster through the generated stubs only (no smart client, no server or grid-common classes;
 * the cluster harness only starts the nodes and gives their addresses) and reads what to expect
 * from README's error table and the trailer name the docs give. Each documented error that can be
 * provoked on purpose is, and its gRPC status, trailer and README outcome and retry class checked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WireContractIT {
    /** The trailer name README and errors.proto give, spelled out as a client author would. */
    private static final Metadata.Key<Error> TRAILER =
        Metadata.Key.of("shardgrid.v1.error-bin", ProtoUtils.metadataMarshaller(Error.getDefaultInstance()));
    private static final Map<String, Row> README = readmeErrorTable();
    private static final String NO_TRAILER = "no trailer: ";

    InJvmGridCluster cluster;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /** One row of README's error table. */
    record Row(String code, int number, String grpcStatus, String outcome, String retry) {
    }

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new InJvmGridCluster(dir, 3, 4, 20_000).start();
        // Every partition on all three nodes with a leader, so "the other two" are followers.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            PartitionMapMessage map = partitionMap(1);
            return map.getPartitionsList().stream()
                .allMatch(p -> p.getReplicaNodeIdsCount() == 3 && !p.getLeaderNodeId().isEmpty());
        });
    }

    @AfterAll
    void stop() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWriteToAFollowerIsNotLeaderWithTheLeadersAddressAndChangesNothing() {
        ByteString key = b("contract-not-leader");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String leader = leaderOf(key);
            for (int i : cluster.runningNodes()) {
                if (cluster.config(i).grpcAddress().equals(leader)) {
                    continue;
                }
                // put-if-absent: had a follower applied it, the leader would see the key.
                Error e = failure(() -> data(cluster.config(i).grpcAddress()).compareAndSet(CompareAndSetRequest
                    .newBuilder().setKey(key).setExpectAbsent(true).setNewValue(b("x")).build()));
                assertThat(e.getCode()).isEqualTo(ErrorCode.NOT_LEADER);
                assertThat(e.getLeaderHint().getGrpcAddress()).isEqualTo(leader);
                assertThat(e.getLeaderHint().getNodeId()).isNotEmpty();
                assertThat(e.getMapEpoch()).isPositive();
            }
            assertThat(data(leader).get(GetRequest.newBuilder().setKey(key).build()).getFound()).isFalse();
        });
        assertThat(README.get("NOT_LEADER").outcome()).isEqualTo("definite");
        assertThat(README.get("NOT_LEADER").retry()).isEqualTo("after map refresh");
    }

    @Test
    void aStaleMapEpochIsRefusedBeforeAnythingIsAppliedOverUnaryAndBatch() {
        ByteString key = b("contract-stale");
        atLeader(key, leader -> {
            long epoch = partitionMap(nodeAt(leader)).getEpoch();
            assertThat(epoch).as("joins moved the map past its first epoch").isGreaterThan(1);
            RequestHeader stale = RequestHeader.newBuilder().setMapEpoch(epoch - 1).build();

            Error unary = failure(() -> data(leader).set(SetRequest.newBuilder().setHeader(stale).setKey(key)
                .setValue(b("v")).build()));
            assertThat(unary.getCode()).isEqualTo(ErrorCode.STALE_EPOCH);
            assertThat(unary.getMapEpoch()).isGreaterThanOrEqualTo(epoch);

            BatchResult batched = batch(leader, BatchOp.newBuilder().setIncrement(IncrementRequest.newBuilder()
                .setHeader(stale).setKey(key).setDelta(1)).build());
            assertThat(batched.getIncrement().getError().getCode()).isEqualTo(ErrorCode.STALE_EPOCH);
            assertThat(data(leader).get(GetRequest.newBuilder().setKey(key).build()).getFound()).isFalse();
        });
        // The current epoch, and 0 ("do not check"), are served.
        atLeader(key, leader -> {
            long epoch = partitionMap(nodeAt(leader)).getEpoch();
            data(leader).set(SetRequest.newBuilder().setHeader(RequestHeader.newBuilder().setMapEpoch(epoch))
                .setKey(key).setValue(b("v")).build());
            assertThat(data(leader).get(GetRequest.newBuilder().setKey(key).build()).getValue()).isEqualTo(b("v"));
        });
        assertThat(README.get("STALE_EPOCH").outcome()).isEqualTo("definite");
        assertThat(README.get("STALE_EPOCH").retry()).isEqualTo("after map refresh");
    }

    @Test
    void anAdminCallWithoutTheTokenIsUnauthenticatedWithTheTrailer() {
        PartitionAssignment p = partitionMap(1).getPartitions(0);
        String other = p.getReplicaNodeIdsList().stream().filter(n -> !n.equals(p.getLeaderNodeId()))
            .findFirst().orElseThrow();
        Error e = failure(() -> GridAdminGrpc.newBlockingStub(channel(cluster.config(1).grpcAddress()))
            .withDeadlineAfter(10, TimeUnit.SECONDS).transferLeader(TransferLeaderRequest.newBuilder()
                .setPartitionId(p.getPartitionId()).setToNodeId(other).build()));
        assertThat(e.getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(README.get("UNAUTHENTICATED").retry()).isEqualTo("never");
    }

    @Test
    void anEmptyOrOversizedKeyOrValueIsInvalidArgumentAndChangesNothing() {
        ByteString key = b("contract-big-value");
        atLeader(key, leader -> {
            Error empty = failure(() -> data(leader).set(SetRequest.newBuilder().setKey(ByteString.EMPTY)
                .setValue(b("v")).build()));
            assertThat(empty.getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(empty.getMessage()).contains("empty");

            byte[] longKey = new byte[1025];
            Arrays.fill(longKey, (byte) 'k');
            Error oversizedKey = failure(() -> data(leader).increment(IncrementRequest.newBuilder()
                .setKey(ByteString.copyFrom(longKey)).setDelta(1).build()));
            assertThat(oversizedKey.getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(oversizedKey.getMessage()).contains("1025");

            Error oversizedValue = failure(() -> data(leader).set(SetRequest.newBuilder().setKey(key)
                .setValue(ByteString.copyFrom(new byte[1024 * 1024 + 1])).build()));
            assertThat(oversizedValue.getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(data(leader).get(GetRequest.newBuilder().setKey(key).build()).getFound()).isFalse();
        });
        assertThat(README.get("INVALID_ARGUMENT").retry()).isEqualTo("never");
    }

    @Test
    void aCompareAndSetWhoseExpectationFailsIsOkWithSwappedFalseOverUnaryAndBatch() {
        ByteString key = b("contract-cas");
        CompareAndSetRequest wrong = CompareAndSetRequest.newBuilder().setKey(key).setExpected(b("other"))
            .setNewValue(b("swapped")).build();
        atLeader(key, leader -> {
            data(leader).set(SetRequest.newBuilder().setKey(key).setValue(b("held")).build());
            assertThat(data(leader).compareAndSet(wrong).getSwapped()).isFalse();
            BatchResult batched = batch(leader, BatchOp.newBuilder().setCompareAndSet(wrong).build());
            assertThat(batched.getCompareAndSet().hasError()).as("%s", batched).isFalse();
            assertThat(batched.getCompareAndSet().getSwapped()).isFalse();
            assertThat(data(leader).get(GetRequest.newBuilder().setKey(key).build()).getValue())
                .isEqualTo(b("held"));
        });
    }

    @Test
    void aWriteRefusedForMemoryIsResourceExhaustedAndRetriedOnlyAFewTimes(@TempDir Path dir) {
        try (InJvmGridCluster small = new InJvmGridCluster(dir, 1, 1, 20_000).withMemory(2L << 20)) {
            small.start(1, true, "");
            small.awaitReady();
            String node = small.config(1).grpcAddress();
            ByteString value = ByteString.copyFrom(new byte[64 * 1024]);
            Error refused = null;
            int written = 0;
            // 2 MiB hold at most 32 such values; well before 100 the budget must refuse one.
            while (refused == null && written < 100) {
                ByteString key = b("fill-" + written);
                try {
                    data(node).set(SetRequest.newBuilder().setKey(key).setValue(value).build());
                    written++;
                } catch (StatusRuntimeException e) {
                    refused = errorOf(e);
                    assertThat(data(node).get(GetRequest.newBuilder().setKey(key).build()).getFound()).isFalse();
                }
            }
            assertThat(refused).as("a full budget refuses a write").isNotNull();
            assertThat(refused.getCode()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertThat(refused.getMessage()).contains("memory");
            assertThat(written).isPositive();
            assertThat(README.get("RESOURCE_EXHAUSTED").outcome()).isEqualTo("definite");
            assertThat(README.get("RESOURCE_EXHAUSTED").retry()).isEqualTo("a few times");
        }
    }

    /**
     * Increments race leader transfers back and forth. Whatever each one is told, a code README
     * calls definite must mean it was not applied: the counter ends between the OK count and the
     * OK count plus the ambiguous answers. (Whether a transfer catches a write in flight is up to
     * timing; the bound holds either way.)
     */
    @Test
    void writesDuringLeaderTransfersAreAppliedExactlyWhenTheirCodeSaysSoOrMaybe() throws Exception {
        ByteString key = b("contract-transfer");
        String leader = leaderOf(key);
        int leaderNode = nodeAt(leader);
        String leaderId = cluster.config(leaderNode).nodeId();
        String otherId = cluster.config(leaderNode % 3 + 1).nodeId();
        List<Integer> led = partitionMap(leaderNode).getPartitionsList().stream()
            .filter(p -> p.getLeaderNodeId().equals(leaderId)).map(PartitionAssignment::getPartitionId).toList();
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        Semaphore inFlight = new Semaphore(64);
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        List<ListenableFuture<OperatorResponse>> transfers = new ArrayList<>();
        GridDataGrpc.GridDataStub async = GridDataGrpc.newStub(channel(leader));
        for (int i = 0; i < 800; i++) {
            if (i % 200 == 100) {
                // Away from the node the increments go to, then back; not waited for.
                String to = transfers.size() % (2 * led.size()) < led.size() ? otherId : leaderId;
                for (int p : led) {
                    transfers.add(adminAsync(leader).transferLeader(TransferLeaderRequest.newBuilder()
                        .setPartitionId(p).setToNodeId(to).build()));
                }
            }
            inFlight.acquire();
            CompletableFuture<Void> call = new CompletableFuture<>();
            calls.add(call);
            async.withDeadlineAfter(20, TimeUnit.SECONDS).increment(IncrementRequest.newBuilder().setKey(key)
                .setDelta(1).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(IncrementResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        answers.computeIfAbsent(classify(t), c -> new AtomicInteger()).incrementAndGet();
                        inFlight.release();
                        call.complete(null);
                    }

                    @Override
                    public void onCompleted() {
                        answers.computeIfAbsent("OK", c -> new AtomicInteger()).incrementAndGet();
                        inFlight.release();
                        call.complete(null);
                    }
                });
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        for (ListenableFuture<OperatorResponse> t : transfers) {
            try {
                t.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException refused) {
                // A transfer refused (one still under way) only means fewer leader changes.
            }
        }
        assertThat(count(answers, "NOT_LEADER")).as("leadership moved: answers %s", answers).isPositive();

        int ok = count(answers, "OK");
        int ambiguous = answers.entrySet().stream().filter(e -> !e.getKey().equals("OK") && ambiguous(e.getKey()))
            .mapToInt(e -> e.getValue().get()).sum();
        long value = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            GetResponse r = data(leaderOf(key)).get(GetRequest.newBuilder().setKey(key).build());
            return Long.parseLong(r.getValue().toStringUtf8());
        }, v -> true);
        System.out.println("WireContractIT: answers " + answers + ", counter " + value);
        assertThat(value).as("answers %s", answers).isBetween((long) ok, (long) ok + ambiguous);
        for (String code : answers.keySet()) {
            if (README.containsKey(code) && README.get(code).outcome().equals("ambiguous")) {
                assertThat(README.get(code).retry()).as(code).isIn("idempotent only", "never");
            }
        }
        assertThat(ok).as("answers %s", answers).isPositive();
    }

    // --- a client that knows only proto/ and README

    /** One step against a partition leader. */
    private interface LeaderStep {
        void run(String leaderAddress) throws Exception;
    }

    /**
     * Runs {@code step} at {@code key}'s leader, again if an assertion fails or the step meets
     * NOT_LEADER: the placement driver may move a leader between two calls of one step.
     */
    private void atLeader(ByteString key, LeaderStep step) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsMatching(WireContractIT::leaderMoved)
            .untilAsserted(() -> step.run(leaderOf(key)));
    }

    private static boolean leaderMoved(Throwable t) {
        return t instanceof StatusRuntimeException e && e.getTrailers() != null && e.getTrailers().get(TRAILER) != null
            && e.getTrailers().get(TRAILER).getCode() == ErrorCode.NOT_LEADER;
    }

    /** The code of a failed call, checked against README; a status without the trailer is ambiguous. */
    private static String classify(Throwable t) {
        if (t instanceof StatusRuntimeException e && e.getTrailers() != null && e.getTrailers().get(TRAILER) != null) {
            return errorOf(e).getCode().name();
        }
        return NO_TRAILER + Status.fromThrowable(t).getCode();
    }

    /** README: a status without the trailer comes from gRPC itself; for a write it is OUTCOME_UNKNOWN. */
    private static boolean ambiguous(String answer) {
        return answer.startsWith(NO_TRAILER) || README.get(answer).outcome().equals("ambiguous");
    }

    private static int count(Map<String, AtomicInteger> answers, String code) {
        AtomicInteger n = answers.get(code);
        return n == null ? 0 : n.get();
    }

    /** Runs a unary call that must fail; returns its trailer's Error after checking it against README. */
    private static Error failure(Runnable call) {
        StatusRuntimeException[] thrown = new StatusRuntimeException[1];
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> thrown[0] = e);
        return errorOf(thrown[0]);
    }

    /** The trailer's Error; its code's README row must name the status the call ended with. */
    private static Error errorOf(StatusRuntimeException e) {
        Error error = e.getTrailers() == null ? null : e.getTrailers().get(TRAILER);
        assertThat(error).as("trailer shardgrid.v1.error-bin on %s", e.getStatus()).isNotNull();
        Row row = README.get(error.getCode().name());
        assertThat(row).as("README row for " + error.getCode()).isNotNull();
        assertThat(row.number()).isEqualTo(error.getCodeValue());
        assertThat(e.getStatus().getCode().name()).as(error.getCode().name()).isEqualTo(row.grpcStatus());
        return error;
    }

    /** README's error table: what a client author is told about each code. */
    private static Map<String, Row> readmeErrorTable() {
        Map<String, Row> rows = new HashMap<>();
        boolean inSection = false;
        try {
            for (String line : Files.readAllLines(Path.of("..", "README.md"))) {
                if (line.startsWith("## ")) {
                    inSection = line.equals("## Error codes");
                } else if (inSection && line.startsWith("| `")) {
                    List<String> c = Arrays.stream(line.split("\\|")).map(String::trim).skip(1).toList();
                    String code = c.get(0).replace("`", "");
                    rows.put(code, new Row(code, Integer.parseInt(c.get(1)), c.get(2), c.get(3), c.get(4)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** The gRPC address of the node that leads {@code key}'s partition: the one that serves a linearizable read. */
    private String leaderOf(ByteString key) {
        // Other failures (an election under way) are waited out too.
        return await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            for (int i : cluster.runningNodes()) {
                String address = cluster.config(i).grpcAddress();
                try {
                    data(address).get(GetRequest.newBuilder().setKey(key).build());
                    return address;
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
                        throw e;
                    }
                }
            }
            return null;
        }, a -> a != null);
    }

    private int nodeAt(String grpcAddress) {
        return cluster.runningNodes().stream().filter(i -> cluster.config(i).grpcAddress().equals(grpcAddress))
            .findFirst().orElseThrow();
    }

    private PartitionMapMessage partitionMap(int node) {
        return GridRoutingGrpc.newBlockingStub(channel(cluster.config(node).grpcAddress()))
            .withDeadlineAfter(10, TimeUnit.SECONDS).getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
    }

    private BatchResult batch(String address, BatchOp op) throws Exception {
        CompletableFuture<BatchResponse> reply = new CompletableFuture<>();
        StreamObserver<BatchRequest> requests = GridDataGrpc.newStub(channel(address))
            .withDeadlineAfter(10, TimeUnit.SECONDS).batch(new StreamObserver<>() {
                @Override
                public void onNext(BatchResponse value) {
                    reply.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    reply.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                }
            });
        requests.onNext(BatchRequest.newBuilder().addOps(op.toBuilder().setCorrelationId(7)).build());
        requests.onCompleted();
        BatchResult result = reply.get(10, TimeUnit.SECONDS).getResults(0);
        assertThat(result.getCorrelationId()).isEqualTo(7);
        return result;
    }

    private GridDataGrpc.GridDataBlockingStub data(String address) {
        return GridDataGrpc.newBlockingStub(channel(address)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private GridAdminGrpc.GridAdminFutureStub adminAsync(String address) {
        Metadata token = new Metadata();
        token.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer test-token");
        return GridAdminGrpc.newFutureStub(channel(address)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(token));
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a).usePlaintext()
            .maxInboundMessageSize(8 << 20).build());
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
