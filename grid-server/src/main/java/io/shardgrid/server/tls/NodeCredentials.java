package io.shardgrid.server.tls;

import io.shardgrid.server.config.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's TLS key, certificate chain and trusted CAs, read from its PEM files and read again when
 * a file changes, so certificates rotate without a restart. Every TLS context of the node (gRPC
 * server and client, HTTP, raft) is built on {@link #keyManager()} and {@link #trustManager()}, which
 * answer each new handshake from the material current at that moment; connections already open
 * keep what they agreed on.
 *
 * <p>A change is taken only whole: the key must match the certificate and every file must parse.
 * Otherwise (a half-written file, a key from another pair) the node logs why and keeps serving
 * with what it had, and tries again when a file changes again.
 */
public final class NodeCredentials {
    private static final Logger LOG = LoggerFactory.getLogger(NodeCredentials.class);
    private static final char[] NO_PASSWORD = new char[0];

    /** One consistent reading of the three files. */
    private record Material(X509Certificate[] chain, List<X509Certificate> trusted,
                            X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager) {
    }

    private final TlsSettings settings;
    private final AtomicReference<Material> current = new AtomicReference<>();
    /** The files' modification times and sizes when last read, good or bad; reload thread only. */
    private String lastStamp;

    private NodeCredentials(TlsSettings settings) {
        this.settings = settings;
    }

    /** Reads the files of {@code settings} (TLS on); a bad file fails here, at start, with its name. */
    public static NodeCredentials load(TlsSettings settings) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("TLS is off: no credentials to load");
        }
        NodeCredentials credentials = new NodeCredentials(settings);
        credentials.lastStamp = credentials.stamp();
        credentials.current.set(read(settings));
        return credentials;
    }

    /**
     * Reads the files again if any changed since the last look; true if new material is now in use.
     * A change that does not read whole is logged and skipped.
     */
    public synchronized boolean reloadIfChanged() {
        String stamp;
        try {
            stamp = stamp();
        } catch (UncheckedIOException e) {
            return false; // a file is being replaced (renamed away for a moment): look again next time
        }
        if (stamp.equals(lastStamp)) {
            return false;
        }
        lastStamp = stamp;
        try {
            Material fresh = read(settings);
            current.set(fresh);
            X509Certificate leaf = fresh.chain()[0];
            LOG.info("TLS: reloaded {} (subject {}, issuer {}, serial {}, valid until {}) and {} trusted CA(s) from {}",
                settings.certificate(), leaf.getSubjectX500Principal(), leaf.getIssuerX500Principal(),
                leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant(), fresh.trusted().size(),
                settings.trustedCa());
            return true;
        } catch (RuntimeException e) {
            LOG.warn("TLS: the changed files {}, {}, {} do not read as one key, certificate and CA ({}); still using the "
                + "previous ones", settings.certificate(), settings.privateKey(), settings.trustedCa(), e.getMessage());
            return false;
        }
    }

    /** Presents the node's current key and certificate on each handshake. */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** Checks peers against the CAs current at each handshake. */
    public X509ExtendedTrustManager trustManager() {
        return trustManager;
    }

    private String stamp() {
        StringBuilder stamp = new StringBuilder();
        for (Path file : new Path[] {settings.certificate(), settings.privateKey(), settings.trustedCa()}) {
            try {
                stamp.append(Files.getLastModifiedTime(file).toMillis()).append('/').append(Files.size(file)).append(';');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return stamp.toString();
    }

    private static Material read(TlsSettings settings) {
        PrivateKey key = PemFiles.privateKey(settings.privateKey());
        X509Certificate[] chain = PemFiles.certificates(settings.certificate()).toArray(X509Certificate[]::new);
        List<X509Certificate> trusted = PemFiles.certificates(settings.trustedCa());
        requireKeyMatches(key, chain[0], settings);
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("node", key, NO_PASSWORD, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                trust.setCertificateEntry("ca-" + i, trusted.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            return new Material(chain, trusted, only(kmf.getKeyManagers(), X509ExtendedKeyManager.class),
                only(tmf.getTrustManagers(), X509ExtendedTrustManager.class));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + settings.certificate() + ": " + e.getMessage(), e);
        }
    }

    /** Signs a nonce with the key and checks it with the certificate: a key from another pair fails here. */
    private static void requireKeyMatches(PrivateKey key, X509Certificate leaf, TlsSettings settings) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448 name their own signature
        };
        try {
            byte[] nonce = "shardgrid key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(nonce);
            if (!verifier.verify(signature)) {
                throw new IllegalArgumentException("the key in " + settings.privateKey() + " does not belong to the "
                    + "certificate in " + settings.certificate());
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key in " + settings.privateKey() + " does not fit the certificate in "
                + settings.certificate() + ": " + e.getMessage(), e);
        }
    }

    private static <T> T only(Object[] managers, Class<T> type) {
        return Arrays.stream(managers).filter(type::isInstance).map(type::cast).findFirst()
            .orElseThrow(() -> new IllegalStateException("the JDK offers no " + type.getSimpleName()));
    }

    private final X509ExtendedKeyManager keyManager = new X509ExtendedKeyManager() {
        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return current.get().keyManager().getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return current.get().keyManager().chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return current.get().keyManager().chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return current.get().keyManager().getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return current.get().keyManager().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return current.get().keyManager().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return current.get().keyManager().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return current.get().keyManager().getPrivateKey(alias);
        }
    };

    private final X509ExtendedTrustManager trustManager = new X509ExtendedTrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
            current.get().trustManager().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
            current.get().trustManager().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
            current.get().trustManager().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
            current.get().trustManager().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.get().trustManager().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.get().trustManager().checkServerTrusted(chain, authType);
        }

        /**
         * None: a server sends these as the CAs a client certificate should come from, and Netty's
         * OpenSSL server fixes that list when its context is built, so a CA added later would never
         * be offered and clients holding only its certificates would present none. Without a list a
         * client presents the certificate it has; the check above still uses the current CAs.
         */
        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };

    /** For contexts that take arrays. */
    public KeyManager[] keyManagers() {
        return new KeyManager[] {keyManager};
    }

    public TrustManager[] trustManagers() {
        return new TrustManager[] {trustManager};
    }
}
