package io.shardgrid.client.routing;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * How a client reaches TLS nodes: the CA that signed the nodes' certificates (PEM) and, for nodes
 * that require client certificates, this client's certificate and PKCS#8 key (PEM).
 *
 * @param trustedCa   CA certificate(s); null = plaintext
 * @param certificate client certificate chain, or null
 * @param privateKey  its key, or null
 */
public record ClientTls(Path trustedCa, Path certificate, Path privateKey) {
    public static final ClientTls PLAINTEXT = new ClientTls(null, null, null);

    public ClientTls {
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("a client certificate needs its key and the other way round");
        }
        if (certificate != null && trustedCa == null) {
            throw new IllegalArgumentException("a client certificate needs the nodes' CA as well");
        }
        for (Path file : new Path[] {trustedCa, certificate, privateKey}) {
            if (file != null && !Files.isReadable(file)) {
                throw new IllegalArgumentException("TLS file " + file + " does not exist or is not readable");
            }
        }
    }

    public boolean enabled() {
        return trustedCa != null;
    }

    /** The Netty context for gRPC channels; only when {@link #enabled()}. */
    public SslContext sslContext() {
        try {
            SslContextBuilder builder = GrpcSslContexts.forClient().trustManager(trustedCa.toFile());
            if (certificate != null) {
                builder.keyManager(certificate.toFile(), privateKey.toFile());
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + trustedCa
                + (certificate == null ? "" : ", " + certificate + ", " + privateKey) + ": " + e.getMessage(), e);
        }
    }
}
