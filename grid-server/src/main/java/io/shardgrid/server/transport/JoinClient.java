package io.shardgrid.server.transport;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.shardgrid.common.retry.RetryPolicy;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.GridAdminGrpc;
import io.shardgrid.proto.v1.JoinRequest;
import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks an existing node to add this one ({@code --join ADDR}). ADDR may be the node's HTTP address
 * (the seed's {@code /join}) or its gRPC address ({@code GridAdmin.Join}); HTTP is tried first.
 * Retries with the shared backoff until the deadline, since the target may still be starting.
 */
public final class JoinClient {
    private static final Logger LOG = LoggerFactory.getLogger(JoinClient.class);
    private static final Duration DEADLINE = Duration.ofMinutes(3);
    private static final Duration LOG_EVERY = Duration.ofSeconds(5);
    /**
     * The target may still be starting (seconds) or electing: try again soon, then every half second
     * or so (a node started together with its seed, as local-cluster does, joins as soon as it can;
     * a founding waits for the last founder's join).
     */
    private static final RetryPolicy RETRY = RetryPolicy.exponential(Duration.ofMillis(100), Duration.ofMillis(500));

    private final ServerConfig config;
    private final TlsContexts tls;

    public JoinClient(ServerConfig config, TlsContexts tls) {
        this.tls = tls;
        this.config = config;
    }

    public void join(String address) throws IOException {
        String target = address.startsWith(":") ? "127.0.0.1" + address : address;
        long[] nextLogNanos = {System.nanoTime()};
        RETRY.call(DEADLINE, () -> {
            joinOnce(target);
            return null;
        }, failure -> {
            if (!(failure instanceof IOException)) {
                return false;
            }
            // Tries come every 0.1-0.5 s while a seed starts: say why at most every few seconds.
            if (System.nanoTime() - nextLogNanos[0] >= 0) {
                LOG.info("{}: {}; retrying", config.nodeId(), failure.getMessage());
                nextLogNanos[0] = System.nanoTime() + LOG_EVERY.toNanos();
            }
            return true;
        });
    }

    /**
     * One try: HTTP first, then gRPC; fails with both reasons. Not gRPC when nothing listens at the
     * address yet (a seed still starting): a gRPC channel per try cost the starting node CPU.
     */
    private void joinOnce(String target) throws IOException {
        try {
            joinOverHttp(target);
        } catch (IOException httpFailure) {
            if (httpFailure instanceof ConnectException) {
                throw new IOException("join via " + target + " failed: nothing listens there yet ("
                    + httpFailure.getMessage() + ")", httpFailure);
            }
            try {
                joinOverGrpc(target);
            } catch (RuntimeException grpcFailure) {
                throw new IOException("join via " + target + " failed: HTTP " + httpFailure.getMessage()
                    + "; gRPC " + grpcFailure.getMessage(), httpFailure);
            }
        }
    }

    /**
     * A plain {@link HttpURLConnection}: a joiner retries while its seed starts, and building the
     * JDK's java.net.http client for each try cost the starting node CPU its seed needed too.
     */
    private void joinOverHttp(String target) throws IOException {
        String query = "node_id=" + enc(config.nodeId()) + "&addr=" + enc(config.raftAddress())
            + "&grpc_addr=" + enc(config.grpcAddress()) + "&http_addr=" + enc(config.httpAddress());
        HttpURLConnection http = (HttpURLConnection) URI.create(tls.httpScheme() + "://" + target + "/join?" + query)
            .toURL().openConnection();
        if (http instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls.jdk().getSocketFactory());
        }
        http.setConnectTimeout(2000);
        http.setReadTimeout((int) DEADLINE.toMillis());
        if (!config.adminToken().isEmpty()) {
            http.setRequestProperty("Authorization", "Bearer " + config.adminToken());
        }
        try {
            int status = http.getResponseCode();
            String body;
            try (InputStream in = status == 200 ? http.getInputStream() : http.getErrorStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (status != 200) {
                throw new IOException("status " + status + ": " + body);
            }
            LOG.info("{}: joined via {}: {}", config.nodeId(), target, body);
        } finally {
            http.disconnect();
        }
    }

    private void joinOverGrpc(String target) {
        ManagedChannel channel = tls.channel(target);
        try {
            Metadata headers = new Metadata();
            headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + config.adminToken());
            GridAdminGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .join(JoinRequest.newBuilder().setNode(PartitionMapCodec.toMessage(config.descriptor())).build());
            LOG.info("{}: joined via gRPC {}", config.nodeId(), target);
        } finally {
            channel.shutdownNow();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
