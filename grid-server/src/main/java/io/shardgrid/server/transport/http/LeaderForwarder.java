package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.PartitionMaps;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The reverse proxy of the seed's API: a curl user knows no partition map, so a node that does not
 * lead a key's partition sends the request on to the leader's HTTP address and relays its answer.
 * A forwarded request carries {@value #FORWARDED} and is never forwarded again.
 */
final class LeaderForwarder {
    static final String FORWARDED = "X-Shardgrid-Forwarded";
    private static final String AUTHORIZATION = "Authorization";

    private final String nodeId;
    private final GridService grid;
    private final PartitionMaps maps;
    private final PeerHttp peers;
    private final String peerScheme;
    private final Duration requestTimeout;

    LeaderForwarder(String nodeId, GridService grid, PartitionMaps maps, PeerHttp peers, String peerScheme,
                    Duration requestTimeout) {
        this.nodeId = nodeId;
        this.grid = grid;
        this.maps = maps;
        this.peers = peers;
        this.peerScheme = peerScheme;
        this.requestTimeout = requestTimeout;
    }

    static boolean isForwarded(HttpExchange ex) {
        return ex.getRequestHeaders().containsKey(FORWARDED);
    }

    /** Sends the request to the key's leader if this node does not lead it; returns whether it did. */
    boolean forward(HttpExchange ex, byte[] key, byte[] body) throws IOException, InterruptedException {
        if (grid.leadsKey(key) || isForwarded(ex)) {
            return false;
        }
        String leader = grid.leaderOfKey(key);
        PartitionMap map = maps.map();
        String http = leader.isEmpty() || map == null ? "" : map.node(leader).map(NodeDescriptor::httpAddress).orElse("");
        if (http.isEmpty()) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "partition " + grid.partitionOf(key)
                + " has no known leader with an HTTP address; retry shortly");
        }
        URI target = URI.create(peerScheme + "://" + http + ex.getRequestURI().getRawPath()
            + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(requestTimeout)
            .header(FORWARDED, nodeId);
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
            response = peers.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "leader " + leader + " of partition "
                + grid.partitionOf(key) + " is unreachable: " + e.getMessage());
        }
        if (response.statusCode() == 503) {
            throw new GridException(GridErrorCode.UNAVAILABLE, new String(response.body(), StandardCharsets.UTF_8));
        }
        response.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
        HttpAnswers.reply(ex, response.statusCode(), response.body());
        return true;
    }
}
