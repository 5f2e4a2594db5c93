package io.shardgrid.server.consensus;

import io.shardgrid.server.tls.NodeCredentials;
import java.util.Optional;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * TLS of the raft transport: when the node has TLS, every raft connection (server to server, and
 * this node's raft clients) is mutual TLS with the node certificate, trusting only the CA, whatever
 * {@code --tls-client-auth} says about the client-facing ports. Built on the node's
 * {@link NodeCredentials}, so a rotated certificate or CA reaches new raft connections too.
 */
final class RatisTls {
    private RatisTls() {
    }

    static Parameters parameters(Optional<NodeCredentials> tls) {
        Parameters parameters = new Parameters();
        tls.ifPresent(credentials -> GrpcConfigKeys.TLS.setConf(parameters,
            new GrpcTlsConfig(credentials.keyManager(), credentials.trustManager(), true)));
        return parameters;
    }
}
