package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.BatchOp;
import io.shardgrid.proto.v1.BatchRequest;
import io.shardgrid.proto.v1.BatchResponse;
import io.shardgrid.proto.v1.BatchResult;
import io.shardgrid.proto.v1.Error;
import io.shardgrid.proto.v1.ErrorCode;
import io.shardgrid.proto.v1.GetPartitionMapRequest;
import io.shardgrid.proto.v1.GridDataGrpc;
import io.shardgrid.proto.v1.GridRoutingGrpc;
import io.shardgrid.proto.v1.PartitionMapMessage;
import io.shardgrid.proto.v1.SetResponse;
import io.shardgrid.proto.v1.WatchEvent;
import io.shardgrid.proto.v1.WatchPartitionMapRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real gRPC server that drops every Batch stream after receiving ops, as a node dying mid-write
 * would (the client cannot know whether they were applied), except that a set of the key "full" is
 * refused as a node whose memory budget is full refuses it, and a set of "moved" is dropped once
 * and then answered NOT_LEADER, as by a node that lost leadership, and a set of "silent" is dropped
 * once and then never answered, as by a node that hangs.
 */
class RetryPolicyTest {
    private final AtomicInteger increments = new AtomicInteger();
    private final AtomicInteger sets = new AtomicInteger();
    private final AtomicInteger fullSets = new AtomicInteger();
    private final AtomicInteger movedSets = new AtomicInteger();
    private final AtomicInteger silentSets = new AtomicInteger();
    private Server server;
    private GridClient client;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Routing())
            .addService(new DroppingData())
            .build().start();
        // 5 s, not 1: the client's first connection in a fresh JVM (class loading, a loaded 2-core box)
        // once took longer than a second; the deadline test then simply retries for longer.
        client = GridClient.builder().seeds("127.0.0.1:" + server.getPort()).timeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.shutdownNow();
    }

    @Test
    void anIncrementWhoseConnectionDiedIsReportedAsUnknownAndSentOnce() {
        assertThatThrownBy(() -> client.sync().increment("counter", 1)).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.OUTCOME_UNKNOWN));
        assertThat(increments.get()).isEqualTo(1);
    }

    @Test
    void aSetWhoseConnectionDiedIsRetriedUntilTheDeadlineAndEndsWithTheRealCause() {
        assertThatThrownBy(() -> client.sync().set("k", "v", Duration.ZERO)).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.OUTCOME_UNKNOWN));
        assertThat(sets.get()).isGreaterThan(1);
    }

    @Test
    void aWriteRefusedForMemoryIsRetriedAFewTimesThenReportedAsResourceExhausted() {
        assertThatThrownBy(() -> client.sync().set("full", "v", Duration.ZERO))
            .isInstanceOfSatisfying(GridException.class, e -> {
                assertThat(e.code()).isEqualTo(GridErrorCode.RESOURCE_EXHAUSTED);
                assertThat(e.getMessage()).contains("memory budget is full");
            });
        assertThat(fullSets.get()).isEqualTo(GridErrorCode.A_FEW_TIMES_ATTEMPTS);
    }

    @Test
    void aSetThatMayHaveBeenAppliedNeverEndsAsNotLeaderWhenLaterAttemptsAreRefused() {
        assertThatThrownBy(() -> client.sync().set("moved", "v", Duration.ZERO))
            .isInstanceOfSatisfying(GridException.class, e -> {
                assertThat(e.code()).isEqualTo(GridErrorCode.OUTCOME_UNKNOWN);
                assertThat(e.getMessage()).contains("NOT_LEADER");
            });
        assertThat(movedSets.get()).isGreaterThan(1);
    }

    @Test
    void aSetWhoseLastAttemptTheDeadlineCutShortEndsWithTheEarlierAttemptsCause() {
        // 1 s, under one attempt's 2 s: the deadline, not the attempt timeout, ends the second try.
        try (GridClient shortDeadline = GridClient.builder().seeds("127.0.0.1:" + server.getPort())
                .timeout(Duration.ofSeconds(1)).build()) {
            assertThatThrownBy(() -> shortDeadline.sync().set("silent", "v", Duration.ZERO))
                .isInstanceOfSatisfying(GridException.class, e -> {
                    assertThat(e.code()).isEqualTo(GridErrorCode.OUTCOME_UNKNOWN);
                    assertThat(e.getMessage()).contains("node went away");
                });
        }
        assertThat(silentSets.get()).isGreaterThan(1);
    }

    private PartitionMapMessage map() {
        NodeDescriptor self = new NodeDescriptor("fake", "127.0.0.1:" + server.getPort(), "", "");
        return PartitionMapCodec.toMessage(PartitionMap.bootstrap(self, 1, 1));
    }

    private final class Routing extends GridRoutingGrpc.GridRoutingImplBase {
        @Override
        public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMapMessage> out) {
            out.onNext(map());
            out.onCompleted();
        }

        @Override
        public void watchPartitionMap(WatchPartitionMapRequest request, StreamObserver<WatchEvent> out) {
            out.onNext(WatchEvent.newBuilder().setMap(map()).build());
        }
    }

    private final class DroppingData extends GridDataGrpc.GridDataImplBase {
        @Override
        public StreamObserver<BatchRequest> batch(StreamObserver<BatchResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(BatchRequest request) {
                    String key = request.getOpsCount() == 1 && request.getOps(0).hasSet()
                        ? request.getOps(0).getSet().getKey().toStringUtf8() : "";
                    if (key.equals("full")) {
                        fullSets.incrementAndGet();
                        refuse(request.getOps(0), ErrorCode.RESOURCE_EXHAUSTED,
                            "the node's memory budget is full; nothing was written");
                        return;
                    }
                    if (key.equals("silent") && silentSets.getAndIncrement() > 0) {
                        return;
                    }
                    if (key.equals("moved") && movedSets.getAndIncrement() > 0) {
                        refuse(request.getOps(0), ErrorCode.NOT_LEADER, "this node does not lead partition 0");
                        return;
                    }
                    for (BatchOp op : request.getOpsList()) {
                        if (op.hasIncrement()) {
                            increments.incrementAndGet();
                        } else if (op.hasSet()) {
                            sets.incrementAndGet();
                        }
                    }
                    out.onError(Status.UNAVAILABLE.withDescription("node went away").asRuntimeException());
                }

                private void refuse(BatchOp op, ErrorCode code, String message) {
                    out.onNext(BatchResponse.newBuilder().addResults(BatchResult.newBuilder()
                        .setCorrelationId(op.getCorrelationId())
                        .setSet(SetResponse.newBuilder().setError(Error.newBuilder().setCode(code)
                            .setMessage(message)))).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
    }
}
