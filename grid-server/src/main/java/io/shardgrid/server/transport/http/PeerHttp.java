package io.shardgrid.server.transport.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The HTTP client a node forwards requests to its peers with (a key's leader, the meta leader for
 * {@code /join}), made on the first forward: building the JDK's client cost a node about 0.1 s of
 * CPU at start-up, while most nodes, and every node with a smart client in front, never forward.
 */
final class PeerHttp {
    private final HttpClient.Builder builder;
    private volatile HttpClient client;

    PeerHttp(HttpClient.Builder builder) {
        this.builder = builder;
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        return client().send(request, body);
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = builder.build();
                }
                c = client;
            }
        }
        return c;
    }
}
