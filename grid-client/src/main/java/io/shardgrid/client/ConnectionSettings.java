package io.shardgrid.client;

import io.shardgrid.client.routing.ClientTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * What every client of a cluster is told before it connects: where the nodes are, how long a call
 * may take, and TLS. {@link GridClient.Builder} and {@link GridAdminClient.Builder} start here.
 *
 * @param <B> the builder itself, so that calls chain
 */
public abstract class ConnectionSettings<B extends ConnectionSettings<B>> {
    List<String> seeds = GridClientConfig.LOCAL_CLUSTER;
    Duration timeout = GridClientConfig.defaults().timeout();
    private Path tlsCa;
    private Path tlsCertificate;
    private Path tlsKey;

    ConnectionSettings() {
    }

    /** Any nodes' gRPC addresses (default: the local cluster's); the rest are learned from the map. */
    public B seeds(String... seeds) {
        return seeds(Arrays.asList(seeds));
    }

    public B seeds(List<String> seeds) {
        this.seeds = List.copyOf(seeds);
        return self();
    }

    /**
     * Deadline of each call (default 5 s): for the data client its retries included, for the admin
     * client its meta-leader lookup included.
     */
    public B timeout(Duration timeout) {
        this.timeout = timeout;
        return self();
    }

    /** Talks TLS to nodes whose certificates {@code caPem} signed (nodes started with {@code --tls-*}). */
    public B tls(Path caPem) {
        this.tlsCa = caPem;
        return self();
    }

    /** Presents this client certificate and PKCS#8 key (PEM) to nodes that ask for one ({@code --tls-client-auth}). */
    public B mtls(Path certificatePem, Path keyPem) {
        this.tlsCertificate = certificatePem;
        this.tlsKey = keyPem;
        return self();
    }

    ClientTls clientTls() {
        return new ClientTls(tlsCa, tlsCertificate, tlsKey);
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
