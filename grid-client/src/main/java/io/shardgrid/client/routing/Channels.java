package io.shardgrid.client.routing;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per node address, created on first use and reused for every call. Keepalive
 * pings find a silently dead peer in seconds, so long-lived watch streams fail instead of hanging.
 */
public final class Channels implements AutoCloseable {
    /** The server permits pings this often (GrpcApi); keep the two in step. */
    static final long KEEPALIVE_SECONDS = 10;

    private final Map<String, ManagedChannel> byAddress = new ConcurrentHashMap<>();
    /** Null = plaintext. */
    private final SslContext ssl;
    /** Sent with every call: the cluster's client token, if it has one. */
    private final Metadata credentials = new Metadata();

    public Channels(ClientTls tls) {
        this(tls, "");
    }

    /** @param clientToken the nodes' {@code --client-token}; empty = none */
    public Channels(ClientTls tls, String clientToken) {
        this.ssl = tls.enabled() ? tls.sslContext() : null;
        if (!clientToken.isEmpty()) {
            credentials.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + clientToken);
        }
    }

    public ManagedChannel get(String address) {
        return byAddress.computeIfAbsent(address, a -> secured(NettyChannelBuilder.forTarget(a))
            .directExecutor()
            .maxInboundMessageSize(32 * 1024 * 1024)
            .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
            .keepAliveTimeout(5, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
            .build());
    }

    private NettyChannelBuilder secured(NettyChannelBuilder builder) {
        return ssl == null ? builder.usePlaintext() : builder.sslContext(ssl);
    }

    @Override
    public void close() {
        for (ManagedChannel c : byAddress.values()) {
            c.shutdown();
        }
        for (ManagedChannel c : byAddress.values()) {
            try {
                if (!c.awaitTermination(2, TimeUnit.SECONDS)) {
                    c.shutdownNow();
                }
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
