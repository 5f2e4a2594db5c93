package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.ClusterMembership;
import io.shardgrid.server.core.ports.PartitionMaps;
import io.shardgrid.server.core.ports.ReadinessProbe;
import io.shardgrid.server.transport.GridMetrics;
import io.shardgrid.server.transport.TlsContexts;
import io.shardgrid.server.transport.TokenInterceptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's HTTP API for curl users, served by every node: the server, its TLS and which handler
 * answers each path. {@code /set}, {@code /get}, {@code /delete} ({@link KeyValueHandlers}, with the
 * client token, retried by {@link LeaderChangeRetry} and forwarded to the leader by
 * {@link LeaderForwarder}), {@code /join} ({@link JoinHandler}), {@code /debug/profile}
 * ({@link ProfileHandler}), and {@code /metrics}, {@code /health/live}, {@code /health/ready}.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

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

    private final String nodeId;
    private final String address;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ProfileHandler profile;
    private final TokenInterceptor clientToken;

    public HttpApi(ServerConfig config, GridService grid, PartitionMaps maps, ClusterMembership membership,
                   GridMetrics metrics, TokenInterceptor adminToken, TokenInterceptor clientToken,
                   ReadinessProbe readiness, TlsContexts tls) throws IOException {
        this.nodeId = config.nodeId();
        this.address = config.httpAddress();
        this.clientToken = clientToken;
        PeerHttp peers = new PeerHttp(tls.httpClient().connectTimeout(Duration.ofSeconds(2)));
        LeaderForwarder forwarder = new LeaderForwarder(nodeId, grid, maps, peers, tls.httpScheme(),
            config.requestTimeout());
        KeyValueHandlers keyValues = new KeyValueHandlers(grid, forwarder, config.limits());
        LeaderChangeRetry retry = new LeaderChangeRetry(metrics, config.requestTimeout());
        JoinHandler join = new JoinHandler(!config.adminToken().isEmpty(), adminToken, membership, maps, peers,
            tls.httpScheme());
        this.profile = new ProfileHandler(nodeId, !config.adminToken().isEmpty(), adminToken);
        this.executor = Executors.newFixedThreadPool(8, DaemonThreads.numbered(nodeId + "-http"));
        InetSocketAddress bind = new InetSocketAddress(ServerConfig.host(address), ServerConfig.port(address));
        this.server = tls.enabled() ? httpsServer(bind, tls) : HttpServer.create(bind, 128);
        server.setExecutor(executor);
        route("/set", ex -> retry.run(withClientToken(ex), "http_set", keyValues::set));
        route("/get", ex -> retry.run(withClientToken(ex), "http_get", keyValues::get));
        route("/delete", ex -> retry.run(withClientToken(ex), "http_delete", keyValues::delete));
        route("/join", join::join);
        route("/metrics", ex -> {
            ex.getResponseHeaders().set("Content-Type", GridMetrics.contentType());
            HttpAnswers.reply(ex, 200, metrics.scrape());
        });
        route("/health/live", ex -> HttpAnswers.reply(ex, 200, "live"));
        route("/health/ready", ex -> {
            String why = readiness.notReadyReason();
            HttpAnswers.reply(ex, why == null ? 200 : 503, why == null ? "ready" : why);
        });
        server.createContext("/debug/profile", profile::profile); // answers on its own thread
    }

    private void route(String path, HttpAnswers.Handler handler) {
        server.createContext(path, ex -> HttpAnswers.answer(nodeId, ex, handler));
    }

    /** The data calls need the client token (when the cluster has one) before anything else. */
    private HttpExchange withClientToken(HttpExchange ex) {
        if (!clientToken.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
            throw new GridException(GridErrorCode.UNAUTHENTICATED, clientToken.refusal());
        }
        return ex;
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
        LOG.info("{}: HTTP API on {}", nodeId, address);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        profile.close();
        executor.shutdownNow();
    }
}
