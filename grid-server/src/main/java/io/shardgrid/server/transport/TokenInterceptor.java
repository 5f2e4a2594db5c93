package io.shardgrid.server.transport;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Guards a service with a shared secret: the call must carry {@code authorization: Bearer <token>},
 * else it ends UNAUTHENTICATED before any handler runs (nothing changes). The admin API is closed
 * while no admin token is set; the data and routing APIs are open while no client token is set
 * (like Redis without {@code requirepass}).
 */
public final class TokenInterceptor implements ServerInterceptor {
    public static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] expected;
    private final boolean openWhenUnset;
    private final String what;

    private TokenInterceptor(String token, boolean openWhenUnset, String what) {
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.openWhenUnset = openWhenUnset;
        this.what = what;
    }

    /** For the admin API and the HTTP admin endpoints: refuses everything while {@code token} is empty. */
    public static TokenInterceptor forAdmin(String token) {
        return new TokenInterceptor(token, false, "admin");
    }

    /** For the data and routing APIs and HTTP data endpoints: open while {@code token} is empty. */
    public static TokenInterceptor forClients(String token) {
        return new TokenInterceptor(token, true, "client");
    }

    private boolean unset() {
        return expected.length == "Bearer ".length();
    }

    /** Whether a presented header value is let through; also used by the HTTP endpoints. */
    public boolean accepts(String header) {
        if (unset()) {
            return openWhenUnset;
        }
        return header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8));
    }

    /** Why a refused call was refused, for its error message. */
    public String refusal() {
        return unset() ? "the " + what + " API is disabled: start the server with --" + what + "-token"
            : "missing or wrong " + what + " token";
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!accepts(headers.get(AUTHORIZATION))) {
            // With the Error trailer, like every other failure of the API.
            StatusRuntimeException refused = GrpcErrors.toStatus(
                new GridException(GridErrorCode.UNAUTHENTICATED, refusal()), () -> null);
            call.close(refused.getStatus(), refused.getTrailers());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
