package io.shardgrid.server.transport.http;

import com.sun.net.httpserver.HttpExchange;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.core.ports.ClusterMembership;
import io.shardgrid.server.core.ports.PartitionMaps;
import io.shardgrid.server.transport.TokenInterceptor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The seed's {@code /join?node_id=&addr=&grpc_addr=&http_addr=}: adds a node to the cluster, with
 * the admin token when the cluster has one, and never lets a join move a node that still answers
 * at its recorded address.
 */
final class JoinHandler {
    private final boolean adminTokenSet;
    private final TokenInterceptor adminToken;
    private final ClusterMembership membership;
    private final PartitionMaps maps;
    private final PeerHttp peers;
    private final String peerScheme;

    JoinHandler(boolean adminTokenSet, TokenInterceptor adminToken, ClusterMembership membership, PartitionMaps maps,
                PeerHttp peers, String peerScheme) {
        this.adminTokenSet = adminTokenSet;
        this.adminToken = adminToken;
        this.membership = membership;
        this.maps = maps;
        this.peers = peers;
        this.peerScheme = peerScheme;
    }

    void join(HttpExchange ex) throws IOException {
        if (adminTokenSet && !adminToken.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
            throw new GridException(GridErrorCode.UNAUTHENTICATED, "missing or wrong admin token");
        }
        QueryParams q = QueryParams.of(ex);
        String nodeId = q.requiredText("node_id");
        String raft = q.requiredText("addr");
        NodeDescriptor joiner = new NodeDescriptor(nodeId, q.get("grpc_addr", ""),
            q.get("http_addr", ""), raft.startsWith(":") ? "127.0.0.1" + raft : raft);
        refuseMovingALiveNode(joiner);
        PartitionMap map = membership.join(joiner);
        HttpAnswers.reply(ex, 200, "joined (map epoch " + map.epoch() + ")");
    }

    /**
     * A join with a known node's id and other addresses is how a node restarted elsewhere comes back,
     * but also how anyone could redirect that node's clients and forwarding: allowed only once the
     * node no longer answers at the addresses on record.
     */
    private void refuseMovingALiveNode(NodeDescriptor joiner) {
        PartitionMap map = maps.map();
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
            HttpResponse<Void> response = peers.send(HttpRequest.newBuilder(
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
}
