package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.common.limits.Limits;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP admin doors of a real node: profiling behind the admin token, one at a time, and bounded bodies. */
class AdminSurfaceIT {
    private static final String TOKEN = "test-token";

    @TempDir
    static Path dir;
    static InJvmGridCluster cluster;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        cluster = new InJvmGridCluster(dir, 1, 2, 10_000).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static URI uri(String pathAndQuery) {
        return URI.create("http://" + cluster.config(1).httpAddress() + pathAndQuery);
    }

    private static HttpResponse<byte[]> get(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void profilingWithoutTheAdminTokenIsRefused() throws Exception {
        assertThat(get("/debug/profile?seconds=1", null).statusCode()).isEqualTo(401);
        assertThat(get("/debug/profile?seconds=1", "Bearer wrong-token").statusCode()).isEqualTo(401);
        assertThat(get("/debug/profile?seconds=0", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
    }

    @Test
    void aRecordingCarriesNoEnvironmentJvmArgumentsOrSystemProperties() throws Exception {
        HttpResponse<byte[]> response = get("/debug/profile?seconds=1", "Bearer " + TOKEN);
        assertThat(response.statusCode()).isEqualTo(200);
        Path file = dir.resolve("profile.jfr");
        Files.write(file, response.body());
        List<String> types = RecordingFile.readAllEvents(file).stream()
            .map(RecordedEvent::getEventType).map(t -> t.getName()).distinct().collect(Collectors.toList());
        assertThat(types).as("event types in the recording").isNotEmpty()
            .doesNotContain("jdk.InitialEnvironmentVariable", "jdk.JVMInformation", "jdk.InitialSystemProperty");
    }

    @Test
    void concurrentProfilesRunOneAtATimeAndLivenessKeepsAnswering() throws Exception {
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(uri("/debug/profile?seconds=8"))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray()));
        }
        // While a recording runs, the probe Kubernetes uses still answers, well before the recording ends.
        HttpResponse<String> live = HTTP.send(HttpRequest.newBuilder(uri("/health/live"))
            .timeout(Duration.ofSeconds(4)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<byte[]>> call : calls) {
            statuses.add(call.get().statusCode());
        }
        // Refused calls answer at once, so at most the first one or two overlap a running recording.
        assertThat(statuses).contains(200, 429).containsOnly(200, 429);
        assertThat(statuses.stream().filter(s -> s == 429).count()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void aBodyLargerThanTheValueLimitIsRefusedAndChangesNothing() throws Exception {
        int tooLarge = Limits.DEFAULT_MAX_VALUE_BYTES + 64 * 1024 + 1;
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("/set?key=big"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[tooLarge])).timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("request body exceeds");
        assertThat(get("/get?key=big", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aJoinCannotMoveANodeThatIsAliveAtItsRecordedAddresses() throws Exception {
        String before = cluster.node(1).raft().map().node("n1").orElseThrow().toString();
        HttpResponse<byte[]> response = get("/join?node_id=n1&addr=127.0.0.1:1&grpc_addr=127.0.0.1:2"
            + "&http_addr=127.0.0.1:3", "Bearer " + TOKEN);
        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("is alive");
        assertThat(cluster.node(1).raft().map().node("n1").orElseThrow().toString()).isEqualTo(before);
    }

    @Test
    void aHalfSentRequestIsCutOffWhileOthersAreServed() throws Exception {
        String[] hostPort = cluster.config(1).httpAddress().split(":");
        try (Socket slow = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            slow.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush();
            assertThat(get("/health/live", null).statusCode()).isEqualTo(200);
            // The server closes the connection once the request took longer than its limit (4 s in
            // tests); without one the read would block until the socket timeout throws.
            slow.setSoTimeout(60_000);
            assertThat(slow.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void theNodeConfigPrintsNoAdminToken() {
        assertThat(cluster.config(1).adminToken()).isEqualTo(TOKEN);
        assertThat(cluster.config(1).toString()).doesNotContain(TOKEN).contains("adminToken=(set)");
    }
}
