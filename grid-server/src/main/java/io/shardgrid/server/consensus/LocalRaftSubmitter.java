package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;

/**
 * Hands writes and read barriers to the local raft server in-process
 * ({@code submitClientRequestAsync}): no network hop between our gRPC handler and Ratis.
 */
final class LocalRaftSubmitter implements AutoCloseable {
    /** Threads that hand requests to Ratis; each may wait for one division's client thread. */
    private static final int SUBMIT_THREADS = 8;

    private final RaftServer server;
    private final Duration requestTimeout;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final ExecutorService submitExecutor;

    LocalRaftSubmitter(RaftServer server, String nodeId, Duration requestTimeout) {
        this.server = server;
        this.requestTimeout = requestTimeout;
        this.submitExecutor = Executors.newFixedThreadPool(SUBMIT_THREADS,
            DaemonThreads.numbered(nodeId + "-raft-submit"));
    }

    RaftClientRequest request(RaftGroupId groupId, Message message, RaftClientRequest.Type type) {
        return RaftClientRequest.newBuilder()
            .setClientId(localClientId)
            .setServerId(server.getId())
            .setGroupId(groupId)
            .setCallId(callIds.incrementAndGet())
            .setMessage(message)
            .setType(type)
            .build();
    }

    /**
     * Submits on the submit pool: Ratis's {@code submitClientRequestAsync} blocks its caller until
     * the division's client thread has taken the request, which must never stall a gRPC transport
     * thread or serialize every partition behind one batcher thread.
     */
    CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return server.submitClientRequestAsync(request);
            } catch (IOException e) {
                return CompletableFuture.<RaftClientReply>failedFuture(e);
            }
        }, submitExecutor).thenCompose(f -> f)
            .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Appends on the caller's thread, straight to the division: {@link #submit} (and Ratis's own
     * {@code RaftServer.submitClientRequestAsync}) hand the request to our submit pool and then to the
     * division's client thread, blocking until it ran: two thread hand-offs per entry. Only for callers
     * that may wait briefly: the append takes the division's lock and queues to its log worker. One
     * writer gained 15–45 % in two alternating pairs; loaded shapes within noise (bench/README,
     * "Fourth round").
     */
    CompletableFuture<RaftClientReply> submitOnCaller(RaftClientRequest request) {
        try {
            if (server.getDivision(request.getRaftGroupId()) instanceof RaftClientAsynchronousProtocol division) {
                return division.submitClientRequestAsync(request)
                    .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            return submit(request);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        submitExecutor.shutdownNow();
    }
}
