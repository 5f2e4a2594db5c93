package io.shardgrid.server.consensus;

import io.shardgrid.server.config.TlsSettings;
import io.shardgrid.server.tls.PemFiles;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * TLS of the raft transport: when the node has TLS, every raft connection (server to server, and
 * this node's raft clients) is mutual TLS with the node certificate, trusting only the CA, whatever
 * {@code --tls-client-auth} says about the client-facing ports.
 */
final class RatisTls {
    private RatisTls() {
    }

    static Parameters parameters(TlsSettings tls) {
        Parameters parameters = new Parameters();
        if (tls.enabled()) {
            GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(PemFiles.privateKey(tls.privateKey()),
                PemFiles.certificates(tls.certificate()).get(0), PemFiles.certificates(tls.trustedCa()), true));
        }
        return parameters;
    }
}
