package io.shardgrid.bench.load;

import java.nio.file.Path;

/**
 * How the load generator reaches a Shardgrid cluster that is not open: its CA for TLS, a client
 * certificate and key for mutual TLS, and the client token. Any of them may be null (not used).
 */
public record GridAccess(Path tlsCa, Path tlsCert, Path tlsKey, String clientToken) {
    @Override
    public String toString() {
        return "GridAccess[tlsCa=" + tlsCa + ", tlsCert=" + tlsCert + ", clientToken="
            + (clientToken == null ? "none" : "set") + "]";
    }
}
