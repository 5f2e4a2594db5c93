package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.cluster.InJvmGridCluster;
import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.tls.ThrowawayCa;
import io.shardgrid.server.transport.TlsContexts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every port of a TLS cluster, from outside: three nodes with certificates from one CA, raft over
 * mutual TLS (the cluster forms and replicates), gRPC and HTTP requiring client certificates. The
 * right client gets through; plaintext, a client trusting another CA, and one without a
 * certificate are refused and change nothing.
 */
class TlsIT {
    @TempDir
    static Path dir;
    static InJvmGridCluster cluster;
    static Path ca;
    static Path clientCert;
    static Path clientKey;

    @BeforeAll
    static void start() {
        ThrowawayCa authority = new ThrowawayCa("TlsIT CA", Duration.ofDays(1));
        ca = dir.resolve("tls/ca.pem");
        authority.writeCa(ca);
        Path nodeCert = dir.resolve("tls/node.pem");
        Path nodeKey = dir.resolve("tls/node-key.pem");
        authority.issue("node", List.of("127.0.0.1", "localhost"), nodeCert, nodeKey);
        clientCert = dir.resolve("tls/client.pem");
        clientKey = dir.resolve("tls/client-key.pem");
        authority.issue("client", List.of("localhost"), clientCert, clientKey);
        cluster = new InJvmGridCluster(dir.resolve("cluster"), 3, 4, 10_000)
            .withTls(new TlsSettings(nodeCert, nodeKey, ca, TlsSettings.ClientAuth.REQUIRE)).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static GridClient.Builder client() {
        return GridClient.builder().seeds(cluster.grpcAddresses()).timeout(Duration.ofSeconds(3));
    }

    @Test
    void aClientWithTheCaAndItsCertificateReadsAndWritesOverGrpcAndHttps() throws Exception {
        try (GridClient grid = client().timeout(Duration.ofSeconds(20)).tls(ca).mtls(clientCert, clientKey).build()) {
            grid.sync().set("tls-key", "over-tls", Duration.ZERO);
            assertThat(grid.sync().get("tls-key")).contains("over-tls");
        }
        HttpClient https = new TlsContexts(new TlsSettings(clientCert, clientKey, ca, TlsSettings.ClientAuth.NONE))
            .httpClient().build();
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(
                URI.create("https://" + cluster.config(i).httpAddress() + "/get?key=tls-key")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("node %d", i).isEqualTo(200);
            assertThat(r.body()).isEqualTo("over-tls");
        }
        try (GridAdminClient admin = GridAdminClient.builder().seeds(cluster.grpcAddresses()).token("test-token")
                .tls(ca).mtls(clientCert, clientKey).build()) {
            assertThat(admin.status().getNodesCount()).isEqualTo(3);
        }
    }

    @Test
    void plaintextIsRefusedOnEveryPort() {
        assertThatThrownBy(() -> client().build()).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAVAILABLE));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://"
                + cluster.config(1).httpAddress() + "/set?key=plain&value=x")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    @Test
    void aClientTrustingAnotherCaIsRefused(@TempDir Path other) {
        ThrowawayCa stranger = new ThrowawayCa("another CA", Duration.ofDays(1));
        Path strangerCa = other.resolve("ca.pem");
        stranger.writeCa(strangerCa);
        stranger.issue("client", List.of("localhost"), other.resolve("c.pem"), other.resolve("c-key.pem"));
        assertThatThrownBy(() -> client().tls(strangerCa).mtls(other.resolve("c.pem"), other.resolve("c-key.pem"))
            .build()).isInstanceOfSatisfying(GridException.class,
                e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAVAILABLE));
        // The right CA, but a certificate the cluster's CA did not sign.
        assertThatThrownBy(() -> client().tls(ca).mtls(other.resolve("c.pem"), other.resolve("c-key.pem")).build())
            .isInstanceOfSatisfying(GridException.class, e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAVAILABLE));
    }

    @Test
    void aClientWithoutACertificateIsRefusedWhenNodesRequireOne() throws Exception {
        assertThatThrownBy(() -> client().tls(ca).build()).isInstanceOfSatisfying(GridException.class,
            e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAVAILABLE));
        HttpClient noCertificate = HttpClient.newBuilder().sslContext(TlsContexts.trusting(ca))
            .connectTimeout(Duration.ofSeconds(3)).build();
        assertThatThrownBy(() -> noCertificate.send(HttpRequest.newBuilder(URI.create("https://"
                + cluster.config(1).httpAddress() + "/set?key=nocert&value=x")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        try (GridClient grid = client().timeout(Duration.ofSeconds(20)).tls(ca).mtls(clientCert, clientKey).build()) {
            assertThat(grid.sync().get("nocert")).as("the refused write changed nothing").isEmpty();
        }
    }
}
