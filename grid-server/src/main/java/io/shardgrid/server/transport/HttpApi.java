package io.shardgrid.server.transport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.time.DurationText;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.consensus.RatisNode;
import io.shardgrid.server.consensus.Readiness;
import io.shardgrid.server.core.GetResult;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import io.shardgrid.server.config.TlsSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's HTTP API for curl users, served by every node: {@code /set}, {@code /get},
 * {@code /delete}, {@code /join}, plus {@code /metrics}, {@code /health/live}, {@code /health/ready}
 * and {@code /debug/profile}. A curl user knows no partition map, so a node that does not lead a
 * key's partition forwards the request to the leader (once: a forwarded request is never forwarded
 * again).
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final String FORWARDED = "X-Shardgrid-Forwarded";
    private static final String AUTHORIZATION = "Authorization";
    /** Room in a request body beyond the value limit, so the limit's own error names the value's length. */
    private static final int BODY_SLACK_BYTES = 64 * 1024;

    /**
     * Seconds a client may take to send a whole request: generous for a body of the largest value
     * on a slow link; {@code -Dshardgrid.http.max-request-seconds} changes it (tests use a short one).
     */
    static final long MAX_REQUEST_SECONDS = Long.getLong("shardgrid.http.max-request-seconds", 30);

    static {
        // The JDK server writes headers and body separately; with Nagle on, a keep-alive client's
        // delayed ACK then adds ~40 ms to every response. Read once, when the server class loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // Without these a client that sends half a request, or never reads its answer, holds a
        // connection forever (slowloris). Idle keep-alive connections close after 30 s.
        System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(MAX_REQUEST_SECONDS));
        System.setProperty("sun.net.httpserver.maxRspTime", "120");
        System.setProperty("sun.net.httpserver.idleInterval", "30");
    }

    private final GridService grid;
    private final RatisNode node;
    private final Membership membership;
    private final GridMetrics metrics;
    private final ServerConfig config;
    private final TokenInterceptor adminToken;
    private final TokenInterceptor clientToken;
    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpClient forwarder;
    private final String peerScheme;
    private final Readiness readiness;
    /**
     * Recordings run one at a time on their own thread, not on the HTTP workers: a call holds its
     * connection for up to 300 s, and the workers also answer the liveness probe.
     */
    private final ExecutorService profiler;
    private final Semaphore profiling = new Semaphore(1);

    public HttpApi(ServerConfig config, GridService grid, RatisNode node, Membership membership, GridMetrics metrics,
                   TokenInterceptor adminToken, TokenInterceptor clientToken, Readiness readiness,
                   TlsContexts tls)
            throws IOException {
        this.config = config;
        this.forwarder = tls.httpClient().connectTimeout(Duration.ofSeconds(2)).build();
        this.peerScheme = tls.httpScheme();
        this.readiness = readiness;
        this.grid = grid;
        this.node = node;
        this.membership = membership;
        this.metrics = metrics;
        this.adminToken = adminToken;
        this.clientToken = clientToken;
        this.executor = Executors.newFixedThreadPool(8, DaemonThreads.numbered(config.nodeId() + "-http"));
        this.profiler = Executors.newSingleThreadExecutor(DaemonThreads.named(config.nodeId() + "-profiler"));
        InetSocketAddress address = new InetSocketAddress(ServerConfig.host(config.httpAddress()),
            ServerConfig.port(config.httpAddress()));
        this.server = tls.enabled() ? httpsServer(address, tls) : HttpServer.create(address, 128);
        server.setExecutor(executor);
        server.createContext("/set", ex -> handle(ex, e -> retrying(e, "http_set", this::set)));
        server.createContext("/get", ex -> handle(ex, e -> retrying(e, "http_get", this::get)));
        server.createContext("/delete", ex -> handle(ex, e -> retrying(e, "http_delete", this::delete)));
        server.createContext("/join", ex -> handle(ex, this::join));
        server.createContext("/metrics", ex -> handle(ex, this::metrics));
        server.createContext("/health/live", ex -> handle(ex, e -> reply(e, 200, "live")));
        server.createContext("/health/ready", ex -> handle(ex, this::ready));
        server.createContext("/debug/profile", this::profile);
    }

    /** HTTPS with the node's certificate, asking callers for theirs as {@code --tls-client-auth} says. */
    private static HttpsServer httpsServer(InetSocketAddress address, TlsContexts tls) throws IOException {
        HttpsServer https = HttpsServer.create(address, 128);
        TlsSettings.ClientAuth clientAuth = tls.settings().clientAuth();
        https.setHttpsConfigurator(new HttpsConfigurator(tls.jdk()) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setNeedClientAuth(clientAuth == TlsSettings.ClientAuth.REQUIRE);
                if (clientAuth == TlsSettings.ClientAuth.OPTIONAL) {
                    ssl.setWantClientAuth(true);
                }
                params.setSSLParameters(ssl);
            }
        });
        return https;
    }

    public void start() {
        server.start();
        LOG.info("{}: HTTP API on {}", config.nodeId(), config.httpAddress());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange exchange) throws Exception;
    }

    private void handle(HttpExchange exchange, Handler handler) {
        try (exchange) {
            try {
                handler.handle(exchange);
            } catch (GridException e) {
                reply(exchange, httpStatus(e.code()), e.getMessage() + "\n");
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, "INVALID_ARGUMENT: " + e.getMessage() + "\n");
            } catch (IOException e) {
                throw e; // the client went away while it was being answered: no one to tell
            } catch (Exception e) {
                GridException g = GrpcErrors.toGrid(e);
                reply(exchange, httpStatus(g.code()), g.getMessage() + "\n");
            }
        } catch (IOException e) {
            LOG.debug("{}: HTTP client went away: {}", config.nodeId(), e.toString());
        }
    }

    /**
     * A curl user cannot follow a leader hint, so while leadership moves (an election, a transfer)
     * the node retries the idempotent call itself, re-resolving the leader, until the deadline.
     */
    private void retrying(HttpExchange ex, String op, Handler call) throws Exception {
        if (!clientToken.accepts(ex.getRequestHeaders().getFirst(AUTHORIZATION))) {
            throw new GridException(GridErrorCode.UNAUTHENTICATED, clientToken.refusal());
        }
        long startNs = System.nanoTime();
        long deadlineNs = startNs + config.requestTimeout().toNanos();
        while (true) {
            try {
                call.handle(ex);
                metrics.request(op, GridErrorCode.OK, startNs);
                return;
            } catch (Exception e) {
                GridException g = e instanceof GridException ge ? ge : GrpcErrors.toGrid(e);
                // set, get and delete are idempotent, so one that may have been applied is sent again too.
                boolean moving = g.code() == GridErrorCode.NOT_LEADER || g.code() == GridErrorCode.UNAVAILABLE
                    || g.code() == GridErrorCode.OUTCOME_UNKNOWN;
                // A forwarded request answers at once; the node that forwarded it does the retrying.
                boolean forwarded = ex.getRequestHeaders().containsKey(FORWARDED);
                if (!moving || forwarded || System.nanoTime() > deadlineNs) {
                    metrics.request(op, g.code(), startNs);
                    throw g;
                }
                Thread.sleep(50);
            }
        }
    }

    private void set(HttpExchange ex) throws Exception {
        Map<String, String> q = params(ex);
        byte[] key = required(q, "key");
        byte[] value = q.containsKey("value") ? q.get("value").getBytes(StandardCharsets.UTF_8) : cachedBody(ex);
        long ttlMs = ttlMs(q.get("ttl"));
        if (forward(ex, key, value)) {
            return;
        }
        WriteResult result = grid.write(WriteCommand.set(key, value, ttlMs)).join();
        GridDataService.requireOk(result);
        reply(ex, 200, "ok");
    }

    private void get(HttpExchange ex) throws Exception {
        byte[] key = required(params(ex), "key");
        if (forward(ex, key, null)) {
            return;
        }
        GetResult result = grid.get(key, false).join();
        if (!result.found()) {
            reply(ex, 404, "not found");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        reply(ex, 200, result.value());
    }

    private void delete(HttpExchange ex) throws Exception {
        byte[] key = required(params(ex), "key");
        if (forward(ex, key, null)) {
            return;
        }
        WriteResult result = grid.write(WriteCommand.delete(key)).join();
        GridDataService.requireOk(result);
        reply(ex, result.applied() ? 200 : 404, result.applied() ? "deleted" : "not found");
    }

    private void join(HttpExchange ex) throws Exception {
        if (!config.adminToken().isEmpty() && !adminToken.accepts(ex.getRequestHeaders().getFirst(AUTHORIZATION))) {
            throw new GridException(GridErrorCode.UNAUTHENTICATED, "missing or wrong admin token");
        }
        Map<String, String> q = params(ex);
        String nodeId = new String(required(q, "node_id"), StandardCharsets.UTF_8);
        String raft = new String(required(q, "addr"), StandardCharsets.UTF_8);
        NodeDescriptor joiner = new NodeDescriptor(nodeId, q.getOrDefault("grpc_addr", ""),
            q.getOrDefault("http_addr", ""), raft.startsWith(":") ? "127.0.0.1" + raft : raft);
        refuseMovingALiveNode(joiner);
        PartitionMap map = membership.join(joiner);
        reply(ex, 200, "joined (map epoch " + map.epoch() + ")");
    }

    /**
     * A join with a known node's id and other addresses is how a node restarted elsewhere comes back,
     * but also how anyone could redirect that node's clients and forwarding: allowed only once the
     * node no longer answers at the addresses on record.
     */
    private void refuseMovingALiveNode(NodeDescriptor joiner) {
        PartitionMap map = node.map();
        NodeDescriptor known = map == null ? null : map.node(joiner.nodeId()).orElse(null);
        if (known == null || (known.raftAddress().equals(joiner.raftAddress())
                && known.grpcAddress().equals(joiner.grpcAddress()) && known.httpAddress().equals(joiner.httpAddress()))) {
            return;
        }
        if (!known.httpAddress().isEmpty() && answersLive(known.httpAddress())) {
            throw new GridException(GridErrorCode.CONDITION_FAILED, "node " + joiner.nodeId()
                + " is alive at its recorded address " + known.httpAddress() + "; a join cannot move it");
        }
    }

    private boolean answersLive(String httpAddress) {
        try {
            HttpResponse<Void> response = forwarder.send(HttpRequest.newBuilder(
                    URI.create(peerScheme + "://" + httpAddress + "/health/live")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", GridMetrics.contentType());
        reply(ex, 200, metrics.scrape());
    }

    private void ready(HttpExchange ex) throws IOException {
        String why = readiness.notReadyReason();
        reply(ex, why == null ? 200 : 503, why == null ? "ready" : why);
    }

    /**
     * Answers on the profiler thread once the recording ends; refuses at once without the admin
     * token (none configured refuses too, as the admin gRPC API does) or while another one runs.
     */
    private void profile(HttpExchange ex) {
        int seconds;
        try {
            if (!adminToken.accepts(ex.getRequestHeaders().getFirst(AUTHORIZATION))) {
                throw new GridException(GridErrorCode.UNAUTHENTICATED, config.adminToken().isEmpty()
                    ? "profiling needs an admin token: start the node with --admin-token"
                    : "missing or wrong admin token");
            }
            seconds = profileSeconds(params(ex).getOrDefault("seconds", "30"));
            if (!profiling.tryAcquire()) {
                throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "a profile is already being recorded");
            }
        } catch (RuntimeException e) {
            handle(ex, x -> {
                throw e;
            });
            return;
        }
        try {
            profiler.execute(() -> handle(ex, x -> {
                try {
                    byte[] recording = Profiler.record(Duration.ofSeconds(seconds));
                    x.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    x.getResponseHeaders().set("Content-Disposition",
                        "attachment; filename=\"" + config.nodeId() + ".jfr\"");
                    reply(x, 200, recording);
                } finally {
                    profiling.release();
                }
            }));
        } catch (RejectedExecutionException e) {
            profiling.release();
            handle(ex, x -> {
                throw new GridException(GridErrorCode.UNAVAILABLE, "node is stopping");
            });
        }
    }

    private static int profileSeconds(String s) {
        int seconds;
        try {
            seconds = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw GridException.invalidArgument("seconds '" + s + "' is not a number");
        }
        if (seconds < 1 || seconds > 300) {
            throw GridException.invalidArgument("seconds " + seconds + " must be in [1, 300]");
        }
        return seconds;
    }

    /** Sends the request to the key's leader if this node does not lead it; returns whether it did. */
    private boolean forward(HttpExchange ex, byte[] key, byte[] body) throws Exception {
        if (grid.leadsKey(key) || ex.getRequestHeaders().containsKey(FORWARDED)) {
            return false;
        }
        String leader = grid.leaderOfKey(key);
        PartitionMap map = node.map();
        String http = leader.isEmpty() || map == null ? "" : map.node(leader).map(NodeDescriptor::httpAddress).orElse("");
        if (http.isEmpty()) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "partition " + grid.partitionOf(key)
                + " has no known leader with an HTTP address; retry shortly");
        }
        URI target = URI.create(peerScheme + "://" + http + ex.getRequestURI().getRawPath()
            + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(config.requestTimeout())
            .header(FORWARDED, config.nodeId());
        String authorization = ex.getRequestHeaders().getFirst(AUTHORIZATION);
        if (authorization != null) {
            request.header(AUTHORIZATION, authorization); // the leader checks the client token too
        }
        if ("POST".equalsIgnoreCase(ex.getRequestMethod()) && body != null) {
            request.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            request.GET();
        }
        HttpResponse<byte[]> response;
        try {
            response = forwarder.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "leader " + leader + " of partition "
                + grid.partitionOf(key) + " is unreachable: " + e.getMessage());
        }
        if (response.statusCode() == 503) {
            throw new GridException(GridErrorCode.UNAVAILABLE, new String(response.body(), StandardCharsets.UTF_8));
        }
        response.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
        reply(ex, response.statusCode(), response.body());
        return true;
    }

    private static long ttlMs(String ttl) {
        if (ttl == null || ttl.isEmpty()) {
            return 0;
        }
        long ms;
        try {
            ms = DurationText.parseMs(ttl, TimeUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw GridException.invalidArgument("ttl '" + ttl + "' " + e.getMessage());
        }
        Limits.checkTtl(ms);
        return ms;
    }

    private static byte[] required(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) {
            throw GridException.invalidArgument("parameter '" + name + "' is required and must not be empty");
        }
        return v.getBytes(StandardCharsets.UTF_8);
    }

    /** The request body, read once and kept on the exchange so a retry sees it again. */
    private byte[] cachedBody(HttpExchange ex) throws IOException {
        Object cached = ex.getAttribute("body");
        if (cached instanceof byte[] bytes) {
            return bytes;
        }
        int maxBody = config.limits().maxValueBytes() + BODY_SLACK_BYTES;
        byte[] body = ex.getRequestBody().readNBytes(maxBody + 1);
        if (body.length > maxBody) {
            throw GridException.invalidArgument("request body exceeds " + maxBody + " bytes (value limit "
                + config.limits().maxValueBytes() + " bytes)");
        }
        ex.setAttribute("body", body);
        return body;
    }

    private static Map<String, String> params(HttpExchange ex) {
        Map<String, String> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.putIfAbsent(k, v);
        }
        return q;
    }

    private static int httpStatus(GridErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, UNKNOWN_PARTITION -> 400;
            case UNAUTHENTICATED -> 401;
            case NOT_FOUND -> 404;
            case CONDITION_FAILED, WRONG_TYPE -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case NOT_LEADER, STALE_EPOCH, UNAVAILABLE, OUTCOME_UNKNOWN -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        if (!ex.getResponseHeaders().containsKey("Content-Type")) {
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        }
        reply(ex, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        profiler.shutdownNow();
        executor.shutdownNow();
    }
}
