package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.tls.ThrowawayCa;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating a CA and the node certificates of a running TLS cluster, the way cert-manager or an
 * operator does it (new files in place), with no restart: the nodes trust a new CA next to the old
 * one, then present a certificate from it, then drop the old CA. Each step reaches new connections
 * on gRPC, HTTP and raft ports within a few reload periods ({@code shardgrid.tls.reload-seconds} is
 * 1 in tests); a key that does not match its certificate is not taken; data written before the
 * rotation is read after it, and the cluster still replicates writes.
 */
class CertificateRotationIT {
    private static final Duration ROTATION_SEEN = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    InJvmGridCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNewCaAndNodeCertificateReachNewConnectionsWithoutARestart() throws Exception {
        Path tls = dir.resolve("tls");
        ThrowawayCa oldCa = new ThrowawayCa("rotation old CA", Duration.ofDays(1));
        Path caFile = tls.resolve("ca.pem");
        Path nodeCert = tls.resolve("node.pem");
        Path nodeKey = tls.resolve("node-key.pem");
        Path oldCaOnly = tls.resolve("old-ca.pem");
        oldCa.writeCa(oldCaOnly);
        Files.copy(oldCaOnly, caFile);
        oldCa.issue("node", List.of("127.0.0.1", "localhost"), nodeCert, nodeKey);
        oldCa.issue("client", List.of("localhost"), tls.resolve("old-client.pem"), tls.resolve("old-client-key.pem"));
        cluster = new InJvmGridCluster(dir.resolve("cluster"), 3, 4, 10_000)
            .withTls(new TlsSettings(nodeCert, nodeKey, caFile, TlsSettings.ClientAuth.REQUIRE)).start();
        try (GridClient old = client(oldCaOnly, tls, "old-client")) {
            old.sync().set("before", "rotation", Duration.ZERO);
        }
        assertThat(issuerPresentedBy(cluster.config(1).grpcAddress())).contains("rotation old CA");

        // 1. Nodes trust the new CA beside the old one: a client certificate from the new CA gets in.
        ThrowawayCa newCa = new ThrowawayCa("rotation new CA", Duration.ofDays(1));
        Path newCaOnly = tls.resolve("new-ca.pem");
        newCa.writeCa(newCaOnly);
        newCa.issue("client", List.of("localhost"), tls.resolve("new-client.pem"), tls.resolve("new-client-key.pem"));
        newCa.issue("node", List.of("127.0.0.1", "localhost"), tls.resolve("next-node.pem"),
            tls.resolve("next-node-key.pem"));
        replace(caFile, Files.readString(oldCaOnly) + Files.readString(newCaOnly));
        await().atMost(ROTATION_SEEN).ignoreExceptions().untilAsserted(() -> {
            try (GridClient mixed = client(oldCaOnly, tls, "new-client")) {
                assertThat(mixed.sync().get("before")).contains("rotation");
            }
        });

        // 2. Half a change (the new key beside the old certificate) is not taken: the old pair keeps serving.
        replace(nodeKey, Files.readString(tls.resolve("next-node-key.pem")));
        // For three reload periods, every new handshake still gets the old certificate.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> {
                for (int i = 1; i <= 3; i++) {
                    assertThat(issuerPresentedBy(cluster.config(i).grpcAddress())).as("node %d", i)
                        .contains("rotation old CA");
                }
            });
        try (GridClient old = client(oldCaOnly, tls, "old-client")) {
            old.sync().set("during", "half-change", Duration.ZERO);
        }

        // 3. The new certificate completes the pair: every port of every node presents it.
        replace(nodeCert, Files.readString(tls.resolve("next-node.pem")));
        await().atMost(ROTATION_SEEN).untilAsserted(() -> {
            for (int i = 1; i <= 3; i++) {
                assertThat(issuerPresentedBy(cluster.config(i).grpcAddress())).as("gRPC of node %d", i)
                    .contains("rotation new CA");
                assertThat(issuerPresentedBy(cluster.config(i).httpAddress())).as("HTTP of node %d", i)
                    .contains("rotation new CA");
                assertThat(issuerPresentedBy(cluster.config(i).raftAddress())).as("raft of node %d", i)
                    .contains("rotation new CA");
            }
        });
        try (GridClient fresh = client(newCaOnly, tls, "new-client")) {
            assertThat(fresh.sync().get("before")).contains("rotation");
            assertThat(fresh.sync().get("during")).contains("half-change");
            fresh.sync().set("after", "rotation", Duration.ZERO);
            assertThat(fresh.sync().get("after")).contains("rotation");
        }

        // 4. The old CA is dropped: its client certificates are refused from then on.
        replace(caFile, Files.readString(newCaOnly));
        await().atMost(ROTATION_SEEN).untilAsserted(() ->
            assertThatThrownBy(() -> client(newCaOnly, tls, "old-client").close())
                .isInstanceOfSatisfying(GridException.class,
                    e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAVAILABLE)));
        try (GridClient fresh = client(newCaOnly, tls, "new-client")) {
            assertThat(fresh.sync().get("after")).contains("rotation");
        }
    }

    private GridClient client(Path ca, Path tls, String certificate) {
        return GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(5)).tls(ca)
            .mtls(tls.resolve(certificate + ".pem"), tls.resolve(certificate + "-key.pem")).build();
    }

    /** Writes {@code text} beside {@code file} and renames it over the file, as a secret update does. */
    private static void replace(Path file, String text) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.writeString(next, text);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The issuer of the certificate a TLS port presents to a new connection. The handshake may then
     * fail (this client presents no certificate to a port that requires one); the server's
     * certificate has been seen by then.
     */
    private static String issuerPresentedBy(String hostPort) throws Exception {
        AtomicReference<X509Certificate> seen = new AtomicReference<>();
        X509TrustManager recordAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen.set(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {recordAll}, null);
        String[] parts = hostPort.split(":");
        try (Socket plain = new Socket(parts[0], Integer.parseInt(parts[1]));
             SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, parts[0],
                 Integer.parseInt(parts[1]), true)) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
        } catch (IOException e) {
            // refused after the server's certificate went by: what this looks at is recorded already
        }
        assertThat(seen.get()).as("%s presented a certificate", hostPort).isNotNull();
        return seen.get().getIssuerX500Principal().getName();
    }
}
