package io.shardgrid.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS for every port of a node: gRPC (data, routing, admin), HTTP and the raft transport, from PEM
 * files. When on, the certificate, its key and the CA are all required: raft peers always present
 * their node certificate to each other and trust only the CA (mutual TLS), so that no one without a
 * certificate from it can speak raft to a node. {@code clientAuth} says what the client-facing
 * ports (gRPC and HTTP) ask of their callers.
 *
 * @param certificate the node's certificate chain (PEM); null = TLS off
 * @param privateKey  its private key (PEM, PKCS#8 or PKCS#1)
 * @param trustedCa   the CA that signed the nodes' and, with client auth, the clients' certificates
 * @param clientAuth  whether gRPC and HTTP callers must present a certificate the CA signed
 */
public record TlsSettings(Path certificate, Path privateKey, Path trustedCa, ClientAuth clientAuth) {
    public static final TlsSettings OFF = new TlsSettings(null, null, null, ClientAuth.NONE);

    /** What the client-facing ports ask of a caller's certificate. */
    public enum ClientAuth {
        NONE, OPTIONAL, REQUIRE;

        public static ClientAuth parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--tls-client-auth '" + text + "' must be none, optional or require");
            }
        }
    }

    public TlsSettings {
        Objects.requireNonNull(clientAuth, "clientAuth");
        boolean any = certificate != null || privateKey != null || trustedCa != null;
        if (any) {
            if (certificate == null || privateKey == null || trustedCa == null) {
                throw new IllegalArgumentException("TLS needs --tls-cert, --tls-key and --tls-ca together (raft peers "
                    + "authenticate each other by the CA); got cert " + certificate + ", key " + privateKey
                    + ", CA " + trustedCa);
            }
            for (Path file : new Path[] {certificate, privateKey, trustedCa}) {
                if (!Files.isReadable(file)) {
                    throw new IllegalArgumentException("TLS file " + file + " does not exist or is not readable");
                }
            }
        } else if (clientAuth != ClientAuth.NONE) {
            throw new IllegalArgumentException("--tls-client-auth " + clientAuth.name().toLowerCase(Locale.ROOT)
                + " needs TLS (--tls-cert, --tls-key, --tls-ca)");
        }
    }

    public boolean enabled() {
        return certificate != null;
    }

    /** The scheme of this node's HTTP API. */
    public String httpScheme() {
        return enabled() ? "https" : "http";
    }

    @Override
    public String toString() {
        return enabled() ? "TLS[cert=" + certificate + ", key=" + privateKey + ", ca=" + trustedCa + ", clientAuth="
            + clientAuth.name().toLowerCase(Locale.ROOT) + "]" : "TLS[off]";
    }
}
