package io.shardgrid.server.transport;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.tls.NodeCredentials;
import io.shardgrid.server.tls.PemFiles;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * One node's TLS, as each transport wants it: Netty contexts for the gRPC server and for the node's
 * own gRPC calls to peers, and a JDK context for the HTTP server and the HTTP calls a node makes
 * (forwarding, join). All are built on the node's {@link NodeCredentials}, so a rotated certificate
 * or CA file reaches every new connection without a restart. A node calling a peer presents its own
 * certificate, so peers that require client certificates accept it. With TLS off, the builders it
 * hands out are plaintext, so callers never branch on it themselves.
 */
public final class TlsContexts {
    private final TlsSettings settings;
    /** Null when TLS is off. */
    private final NodeCredentials credentials;
    private final SSLContext jdk;

    public TlsContexts(TlsSettings settings) {
        this.settings = settings;
        this.credentials = settings.enabled() ? NodeCredentials.load(settings) : null;
        this.jdk = settings.enabled() ? jdkContext() : null;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    public TlsSettings settings() {
        return settings;
    }

    /** The node's key, certificate and CAs (TLS on), which the raft transport uses too and which reload. */
    public Optional<NodeCredentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /** A channel to a peer's gRPC port: TLS with this node's certificate, or plaintext. */
    public ManagedChannel channel(String target) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target);
        return (enabled() ? builder.sslContext(grpcClient()) : builder.usePlaintext()).build();
    }

    /** The gRPC server builder, secured when TLS is on. */
    public NettyServerBuilder secure(NettyServerBuilder builder) {
        return enabled() ? builder.sslContext(grpcServer()) : builder;
    }

    /** An HTTP client for calls to peers' HTTP ports. */
    public HttpClient.Builder httpClient() {
        HttpClient.Builder builder = HttpClient.newBuilder();
        return enabled() ? builder.sslContext(jdk) : builder;
    }

    /** {@code http} or {@code https}, for URLs of peers' HTTP ports. */
    public String httpScheme() {
        return settings.httpScheme();
    }

    /** For the node's gRPC server: its certificate, and callers' certificates checked per client auth. */
    public SslContext grpcServer() {
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forServer(credentials.keyManager()))
                .trustManager(credentials.trustManager()).clientAuth(switch (settings.clientAuth()) {
                    case NONE -> ClientAuth.NONE;
                    case OPTIONAL -> ClientAuth.OPTIONAL;
                    case REQUIRE -> ClientAuth.REQUIRE;
                }).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS for gRPC: " + e.getMessage(), e);
        }
    }

    /** For this node's gRPC calls to peers: trusts the CA, presents the node certificate. */
    public SslContext grpcClient() {
        try {
            return GrpcSslContexts.forClient().trustManager(credentials.trustManager())
                .keyManager(credentials.keyManager()).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS for gRPC calls: " + e.getMessage(), e);
        }
    }

    /** For the HTTP server and the node's HTTP calls: the node's key and certificate, trusting the CA. */
    public SSLContext jdk() {
        if (jdk == null) {
            throw new IllegalStateException("TLS is off");
        }
        return jdk;
    }

    /** A JDK context that trusts only {@code caPem} and presents no certificate: for readiness probes. */
    public static SSLContext trusting(java.nio.file.Path caPem) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            List<X509Certificate> cas = PemFiles.certificates(caPem);
            for (int i = 0; i < cas.size(); i++) {
                trust.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("cannot trust " + caPem + ": " + e.getMessage(), e);
        }
    }

    private SSLContext jdkContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(credentials.keyManagers(), credentials.trustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for HTTP: " + e.getMessage(), e);
        }
    }
}
