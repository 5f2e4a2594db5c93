package io.shardgrid.server.transport;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The node's gRPC endpoint: data, routing and (token-guarded) admin services. Handlers never block,
 * so calls run on the transport threads ({@code directExecutor}); slow admin calls hop to their own
 * executor.
 */
public final class GrpcApi implements AutoCloseable {
    private final Server server;
    private final GridRoutingService routing;

    /** The services come built (GridNode wires them to the core and consensus); this serves them. */
    public GrpcApi(ServerConfig config, TlsContexts tls, GridDataService data, GridRoutingService routing,
                   GridAdminService admin, TokenInterceptor adminToken, TokenInterceptor clientToken) {
        this.routing = routing;
        this.server = tls.secure(NettyServerBuilder.forAddress(new InetSocketAddress(
                ServerConfig.host(config.grpcAddress()), ServerConfig.port(config.grpcAddress()))))
            .directExecutor()
            .maxInboundMessageSize(32 * 1024 * 1024)
            // Clients ping every 10 s to find dead peers under their watch streams.
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addService(ServerInterceptors.intercept(UndecodableRequests.refusedAsInvalid(data.bindService()),
                clientToken))
            .addService(ServerInterceptors.intercept(UndecodableRequests.refusedAsInvalid(routing.bindService()),
                clientToken))
            .addService(ServerInterceptors.intercept(UndecodableRequests.refusedAsInvalid(admin.bindService()),
                adminToken))
            .build();
    }

    public GrpcApi start() throws IOException {
        server.start();
        return this;
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
        routing.close();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
