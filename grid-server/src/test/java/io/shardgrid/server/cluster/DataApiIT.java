package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.limits.CallLimits;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.CompareAndSetRequest;
import io.shardgrid.proto.v1.DeleteRequest;
import io.shardgrid.proto.v1.ErrorCode;
import io.shardgrid.proto.v1.GetRequest;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.IncrementRequest;
import io.shardgrid.proto.v1.KeyValue;
import io.shardgrid.proto.v1.MultiGetRequest;
import io.shardgrid.proto.v1.MultiGetResponse;
import io.shardgrid.proto.v1.MultiSetRequest;
import io.shardgrid.proto.v1.SetRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every data RPC of the v1 contract against one real node that leads all partitions. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataApiIT {
    InJvmGridCluster cluster;
    TestRoutingClient client;
    GridDataGrpc.GridDataBlockingStub stub;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new InJvmGridCluster(dir, 1, 8, 20_000);
        cluster.start(1, true, "");
        cluster.awaitReady();
        client = new TestRoutingClient(cluster.grpcAddresses());
        stub = client.stubAt(cluster.config(1).grpcAddress());
    }

    @AfterAll
    void stop() {
        client.close();
        cluster.close();
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void compareAndSetSwapsOnlyWhenTheExpectationHolds() {
        assertThat(stub.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("cas")).setExpectAbsent(true)
            .setNewValue(b("one")).build()).getSwapped()).isTrue();
        assertThat(stub.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("cas")).setExpectAbsent(true)
            .setNewValue(b("two")).build()).getSwapped()).isFalse();
        assertThat(stub.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("cas")).setExpected(b("nope"))
            .setNewValue(b("two")).build()).getSwapped()).isFalse();
        assertThat(stub.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("cas")).setExpected(b("one"))
            .setNewValue(b("two")).build()).getSwapped()).isTrue();
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("cas")).build()).getValue().toStringUtf8()).isEqualTo("two");
        assertThatThrownBy(() -> stub.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("cas"))
            .setExpectAbsent(true).setExpected(b("x")).setNewValue(b("y")).build()))
            .hasMessageContaining("expected must be empty when expect_absent is set");
    }

    @Test
    void incrementCountsFromZeroAndRefusesNonIntegers() {
        assertThat(stub.increment(IncrementRequest.newBuilder().setKey(b("counter")).setDelta(5).build()).getValue())
            .isEqualTo(5);
        assertThat(stub.increment(IncrementRequest.newBuilder().setKey(b("counter")).setDelta(-7).build()).getValue())
            .isEqualTo(-2);
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("counter")).build()).getValue().toStringUtf8())
            .isEqualTo("-2");
        stub.set(SetRequest.newBuilder().setKey(b("text")).setValue(b("hello")).build());
        assertThatThrownBy(() -> stub.increment(IncrementRequest.newBuilder().setKey(b("text")).setDelta(1).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(TestRoutingClient.codeOf(e)).isEqualTo(GridErrorCode.WRONG_TYPE));
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("text")).build()).getValue().toStringUtf8())
            .isEqualTo("hello");
    }

    @Test
    void deleteSaysWhetherItRemovedSomething() {
        stub.set(SetRequest.newBuilder().setKey(b("gone")).setValue(b("soon")).build());
        assertThat(stub.delete(DeleteRequest.newBuilder().setKey(b("gone")).build()).getDeleted()).isTrue();
        assertThat(stub.delete(DeleteRequest.newBuilder().setKey(b("gone")).build()).getDeleted()).isFalse();
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("gone")).build()).getFound()).isFalse();
    }

    @Test
    void multiSetAndMultiGetKeepRequestOrderAndReportBadItemsSeparately() {
        MultiSetRequest.Builder set = MultiSetRequest.newBuilder();
        for (int i = 0; i < 20; i++) {
            set.addEntries(KeyValue.newBuilder().setKey(b("m" + i)).setValue(b("v" + i)));
        }
        set.addEntries(KeyValue.newBuilder().setKey(b("")).setValue(b("bad")));
        var setResults = stub.multiSet(set.build()).getResultsList();
        assertThat(setResults).hasSize(21);
        assertThat(setResults.subList(0, 20)).allSatisfy(r -> assertThat(r.hasError()).isFalse());
        assertThat(setResults.get(20).getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);

        MultiGetRequest.Builder get = MultiGetRequest.newBuilder();
        for (int i = 19; i >= 0; i--) {
            get.addKeys(b("m" + i));
        }
        get.addKeys(b("absent"));
        MultiGetResponse got = stub.multiGet(get.build());
        for (int i = 0; i < 20; i++) {
            assertThat(got.getResults(i).getValue().toStringUtf8()).isEqualTo("v" + (19 - i));
        }
        assertThat(got.getResults(20).getFound()).isFalse();
    }

    @Test
    void batchStreamAnswersEveryOpWithItsCorrelationId() throws Exception {
        BatchRequest.Builder first = BatchRequest.newBuilder();
        for (int i = 0; i < 50; i++) {
            first.addOps(BatchOp.newBuilder().setCorrelationId(i)
                .setSet(SetRequest.newBuilder().setKey(b("b" + i)).setValue(b("w" + i))));
        }
        BatchRequest.Builder second = BatchRequest.newBuilder()
            .addOps(BatchOp.newBuilder().setCorrelationId(1000).setGet(GetRequest.newBuilder().setKey(b("b7"))))
            .addOps(BatchOp.newBuilder().setCorrelationId(1001).setIncrement(
                IncrementRequest.newBuilder().setKey(b("bc")).setDelta(3)))
            .addOps(BatchOp.newBuilder().setCorrelationId(1002).setSet(
                SetRequest.newBuilder().setKey(b("neg")).setValue(b("x")).setTtlMs(-1)))
            .addOps(BatchOp.newBuilder().setCorrelationId(1003));
        List<BatchResult> results = batch(GridDataGrpc.newStub(client.channel(cluster.config(1).grpcAddress())),
            first.build(), second.build());
        assertThat(results).hasSize(54);
        assertThat(results.stream().map(BatchResult::getCorrelationId).distinct()).hasSize(54);
        BatchResult get = results.stream().filter(r -> r.getCorrelationId() == 1000).findFirst().orElseThrow();
        // Ops of different messages run concurrently, so the get may or may not see the set before it;
        // it must be well-formed, and once the stream is done the value is there.
        assertThat(get.hasGet()).isTrue();
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("b7")).build()).getValue().toStringUtf8()).isEqualTo("w7");
        assertThat(results.stream().filter(r -> r.getCorrelationId() == 1001).findFirst().orElseThrow()
            .getIncrement().getValue()).isEqualTo(3);
        assertThat(results.stream().filter(r -> r.getCorrelationId() == 1002).findFirst().orElseThrow()
            .getSet().getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(results.stream().filter(r -> r.getCorrelationId() == 1003).findFirst().orElseThrow()
            .getGet().getError().getMessage()).contains("names no operation");
        assertThat(stub.get(GetRequest.newBuilder().setKey(b("neg")).build()).getFound()).isFalse();
    }

    @Test
    void callsOverTheCountLimitsAreRefusedAndApplyNothing() throws Exception {
        int over = CallLimits.MAX_KEYS_PER_CALL + 1;
        MultiGetRequest.Builder gets = MultiGetRequest.newBuilder();
        MultiSetRequest.Builder sets = MultiSetRequest.newBuilder();
        for (int i = 0; i < over; i++) {
            gets.addKeys(b("lim" + i));
            sets.addEntries(KeyValue.newBuilder().setKey(b("lim" + i)).setValue(b("v")));
        }
        assertThatThrownBy(() -> stub.multiGet(gets.build()))
            .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("limit of " + CallLimits.MAX_KEYS_PER_CALL);
        assertThatThrownBy(() -> stub.multiSet(sets.build()))
            .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("limit of " + CallLimits.MAX_KEYS_PER_CALL);

        BatchRequest.Builder message = BatchRequest.newBuilder();
        for (int i = 0; i < CallLimits.MAX_OPS_PER_MESSAGE + 1; i++) {
            message.addOps(BatchOp.newBuilder().setCorrelationId(i)
                .setSet(SetRequest.newBuilder().setKey(b("lim" + i)).setValue(b("v"))));
        }
        List<BatchResult> results = batchOnce(message.build());
        assertThat(results).hasSize(CallLimits.MAX_OPS_PER_MESSAGE + 1)
            .allSatisfy(r -> assertThat(r.getSet().getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(results.get(0).getSet().getError().getMessage()).contains("limit of " + CallLimits.MAX_OPS_PER_MESSAGE);
        for (int i : new int[] {0, 1, over - 1}) {
            assertThat(stub.get(GetRequest.newBuilder().setKey(b("lim" + i)).build()).getFound()).as("lim%d", i).isFalse();
        }
    }

    @Test
    void anAnswerOverTheResponseBudgetIsRefusedNotSent() throws Exception {
        ByteString big = ByteString.copyFrom(new byte[1024 * 1024]);
        stub.set(SetRequest.newBuilder().setKey(b("big")).setValue(big).build());
        int copies = CallLimits.MAX_RESPONSE_VALUE_BYTES / big.size() + 1;
        MultiGetRequest.Builder gets = MultiGetRequest.newBuilder();
        BatchRequest.Builder message = BatchRequest.newBuilder();
        for (int i = 0; i < copies; i++) {
            gets.addKeys(b("big"));
            message.addOps(BatchOp.newBuilder().setCorrelationId(i).setGet(GetRequest.newBuilder().setKey(b("big"))));
        }
        assertThatThrownBy(() -> stub.multiGet(gets.build()))
            .hasMessageContaining("RESOURCE_EXHAUSTED").hasMessageContaining("ask for fewer keys");
        List<BatchResult> results = batchOnce(message.build());
        assertThat(results.subList(0, copies - 1)).allSatisfy(r -> assertThat(r.getGet().getValue()).isEqualTo(big));
        assertThat(results.get(copies - 1).getGet().getError().getCode()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    }

    /** Sends one Batch message on a new stream (on a channel that takes 32 MiB answers, as the smart client's does). */
    private List<BatchResult> batchOnce(BatchRequest message) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.config(1).grpcAddress()).usePlaintext()
            .maxInboundMessageSize(32 * 1024 * 1024).build();
        try {
            return batch(GridDataGrpc.newStub(channel), message);
        } finally {
            channel.shutdownNow();
        }
    }

    /** Sends {@code messages} on one new stream, closes it and returns every result once it ends. */
    private static List<BatchResult> batch(GridDataGrpc.GridDataStub async, BatchRequest... messages) throws Exception {
        List<BatchResult> results = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<BatchRequest> requests = async.batch(new StreamObserver<>() {
            @Override
            public void onNext(BatchResponse value) {
                synchronized (results) {
                    results.addAll(value.getResultsList());
                }
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        for (BatchRequest message : messages) {
            requests.onNext(message);
        }
        requests.onCompleted();
        done.get(60, TimeUnit.SECONDS);
        return results;
    }
}
