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
 * Guards the admin service: the call must carry {@code authorization: Bearer <token>} equal to the
 * server's admin token, else it ends UNAUTHENTICATED before any handler runs (nothing changes).
 */
public final class AdminTokenInterceptor implements ServerInterceptor {
    public static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] expected;

    public AdminTokenInterceptor(String token) {
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether a presented header value carries the token; also used by the HTTP admin endpoints. */
    public boolean accepts(String header) {
        return expected.length > "Bearer ".length() && header != null
            && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!accepts(headers.get(AUTHORIZATION))) {
            String why = expected.length == "Bearer ".length()
                ? "the admin API is disabled: start the server with --admin-token"
                : "missing or wrong admin token";
            // With the Error trailer, like every other failure of the API.
            StatusRuntimeException refused = GrpcErrors.toStatus(
                new GridException(GridErrorCode.UNAUTHENTICATED, why), () -> null);
            call.close(refused.getStatus(), refused.getTrailers());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
