package io.shardgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.cluster.InJvmGridCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with a client token ({@code --client-token}, Redis's requirepass): data and routing
 * calls without it are refused with UNAUTHENTICATED over gRPC and 401 over HTTP, and change
 * nothing; with it, everything works, HTTP forwarding to another node's leader included. Health and
 * metrics stay open for probes and scrapers.
 */
class ClientTokenIT {
    private static final String TOKEN = "client-secret";

    @TempDir
    static Path dir;
    static InJvmGridCluster cluster;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        cluster = new InJvmGridCluster(dir, 3, 4, 10_000).withClientToken(TOKEN).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static HttpResponse<String> get(int node, String pathAndQuery, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + cluster.config(node).httpAddress()
            + pathAndQuery)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withTheTokenEveryPathWorks() throws Exception {
        try (GridClient grid = GridClient.builder().seeds(cluster.grpcAddresses()).clientToken(TOKEN)
                .timeout(Duration.ofSeconds(20)).build()) {
            grid.sync().set("with-token", "yes", Duration.ZERO);
            assertThat(grid.sync().get("with-token")).contains("yes");
        }
        // Every node answers, so at least two of them forward to the key's leader with the token.
        for (int i = 1; i <= 3; i++) {
            assertThat(get(i, "/set?key=http-" + i + "&value=v" + i, TOKEN).statusCode()).isEqualTo(200);
            HttpResponse<String> read = get(i % 3 + 1, "/get?key=http-" + i, TOKEN);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("v" + i);
        }
        assertThat(get(1, "/health/ready", null).statusCode()).isEqualTo(200);
        assertThat(get(1, "/metrics", null).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutItOrWithAWrongOneNothingIsServedAndNothingChanges() throws Exception {
        for (String token : new String[] {null, "wrong"}) {
            GridClient.Builder builder = GridClient.builder().seeds(cluster.grpcAddresses())
                .timeout(Duration.ofSeconds(5));
            if (token != null) {
                builder.clientToken(token);
            }
            assertThatThrownBy(builder::build).isInstanceOfSatisfying(GridException.class,
                e -> assertThat(e.code()).isEqualTo(GridErrorCode.UNAUTHENTICATED));
            HttpResponse<String> set = get(1, "/set?key=refused&value=x", token);
            assertThat(set.statusCode()).isEqualTo(401);
            assertThat(set.body()).contains("UNAUTHENTICATED").doesNotContain(TOKEN);
            assertThat(get(2, "/get?key=with-token", token).statusCode()).isEqualTo(401);
        }
        assertThat(get(1, "/get?key=refused", TOKEN).statusCode()).as("the refused set changed nothing")
            .isEqualTo(404);
    }
}
