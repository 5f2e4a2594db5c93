package io.shardgrid.server;

import io.shardgrid.server.config.Eviction;
import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grid train-class-archive}: a short run of two in-process nodes on free loopback ports (they
 * found a cluster together, as a local cluster does, a few writes and reads over HTTP), then a clean exit. {@code bin/grid} runs it
 * once per build under {@code -XX:ArchiveClassesAtExit} so that every later node start maps the classes
 * a node loads from that archive instead of reading and verifying them again: about half of a node's
 * start-up CPU on a small machine (docs/ARCHITECTURE.md, "Start-up").
 */
@Command(name = "train-class-archive", hidden = true,
    description = "Exercise a node's start, join and request paths once, for a class-data archive.")
public final class ClassArchiveTraining implements Callable<Integer> {
    private static final String TOKEN = "train";

    @Option(names = "--ready-timeout", description = "Seconds each node may take to be ready (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds = 60;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("shardgrid-class-archive");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        ServerConfig firstConfig = config(dir, "node1", true, "");
        try (GridNode first = new GridNode(firstConfig);
             GridNode second = new GridNode(config(dir, "node2", false, firstConfig.httpAddress()))) {
            // node1's start waits for node2 to join before it founds the cluster.
            CompletableFuture<GridNode> firstStarted = CompletableFuture.supplyAsync(() -> {
                try {
                    return first.start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            second.start();
            firstStarted.get(readyTimeoutSeconds, TimeUnit.SECONDS);
            awaitReady(http, first.config().httpAddress());
            awaitReady(http, second.config().httpAddress());
            for (int i = 0; i < 20; i++) {
                call(http, second.config().httpAddress(), "/set?key=k" + i + "&value=v" + i);
                call(http, first.config().httpAddress(), "/get?key=k" + i);
            }
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    private static ServerConfig config(Path dir, String id, boolean bootstrap, String join) throws IOException {
        String http = freeAddress();
        String grpc = freeAddress();
        String raft = freeAddress();
        // The local cluster's partition count on this machine, and a small budget: this run only loads classes.
        return ServerConfig.defaults()
            .withNode(id, http, grpc, raft, dir.resolve(id))
            .withMembership(bootstrap, join)
            .withBootstrapExpect(bootstrap ? 2 : 1)
            .withCluster(LocalClusterCommand.partitionsForCores(Runtime.getRuntime().availableProcessors()), ServerConfig.DEFAULT_REPLICATION,
                ServerConfig.DEFAULT_SNAPSHOT_EVERY_ENTRIES, ServerConfig.DEFAULT_LOG_SEGMENT_BYTES, TOKEN)
            .withMemory(64L << 20, Eviction.NONE);
    }

    /** A loopback port free now; a port taken in between fails the run, which only means no archive. */
    private static String freeAddress() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private void awaitReady(HttpClient http, String address) throws Exception {
        Instant deadline = Instant.now().plusSeconds(readyTimeoutSeconds);
        while (Instant.now().isBefore(deadline)) {
            try {
                if (call(http, address, "/health/ready") == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(address + " not ready after " + readyTimeoutSeconds + " s");
    }

    private static int call(HttpClient http, String address, String pathAndQuery) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address + pathAndQuery))
            .timeout(Duration.ofSeconds(10)).build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
