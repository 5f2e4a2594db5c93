package io.shardgrid.server.transport;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.shardgrid.common.error.GridException;
import java.io.InputStream;

/**
 * Answers a request whose bytes do not decode as its method's message with INVALID_ARGUMENT (the
 * grid error in the trailer, as for any bad request) and changes nothing. Left to gRPC, a decode
 * failure closes the call with UNKNOWN "Application error processing RPC", which a client cannot
 * tell from a server bug. On a stream, the first undecodable message ends the stream, and the
 * service sees it as a cancelled call.
 */
final class UndecodableRequests {
    private UndecodableRequests() {
    }

    /** {@code service} with every method's request decoded leniently. */
    static ServerServiceDefinition refusedAsInvalid(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            builder.addMethod(lenient(method));
        }
        return builder.build();
    }

    private static <Q, R> ServerMethodDefinition<Object, R> lenient(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> strict = method.getMethodDescriptor();
        MethodDescriptor<Object, R> descriptor =
            strict.toBuilder(new LenientMarshaller<>(strict.getRequestMarshaller()), strict.getResponseMarshaller()).build();
        return ServerMethodDefinition.create(descriptor, new RefusingHandler<>(strict, method.getServerCallHandler()));
    }

    /** What a request decodes to when its bytes are not the message. */
    private record Undecodable(String reason) {
    }

    private static final class LenientMarshaller<Q> implements MethodDescriptor.Marshaller<Object> {
        private final MethodDescriptor.Marshaller<Q> strict;

        LenientMarshaller(MethodDescriptor.Marshaller<Q> strict) {
            this.strict = strict;
        }

        @Override
        @SuppressWarnings("unchecked")
        public InputStream stream(Object value) {
            return strict.stream((Q) value);
        }

        @Override
        public Object parse(InputStream stream) {
            try {
                return strict.parse(stream);
            } catch (RuntimeException e) {
                return new Undecodable(e.getMessage());
            }
        }
    }

    private static final class RefusingHandler<Q, R> implements ServerCallHandler<Object, R> {
        private final MethodDescriptor<Q, R> strict;
        private final ServerCallHandler<Q, R> handler;

        RefusingHandler(MethodDescriptor<Q, R> strict, ServerCallHandler<Q, R> handler) {
            this.strict = strict;
            this.handler = handler;
        }

        @Override
        @SuppressWarnings("unchecked")
        public ServerCall.Listener<Object> startCall(ServerCall<Object, R> call, Metadata headers) {
            ServerCall<Q, R> typed = new ForwardingServerCall.SimpleForwardingServerCall<>((ServerCall<Q, R>) (ServerCall<?, R>) call) {
                @Override
                public MethodDescriptor<Q, R> getMethodDescriptor() {
                    return strict;
                }
            };
            ServerCall.Listener<Q> listener = handler.startCall(typed, headers);
            return new ServerCall.Listener<>() {
                /** Set once the call was refused: the service then hears nothing more but its end. */
                private boolean refused;

                @Override
                public void onMessage(Object message) {
                    if (refused) {
                        return;
                    }
                    if (message instanceof Undecodable bad) {
                        refused = true;
                        StatusRuntimeException e = GrpcErrors.toStatus(GridException.invalidArgument("the request "
                            + "does not decode as a " + strict.getBareMethodName() + " request: " + bad.reason()), () -> null);
                        call.close(e.getStatus(), e.getTrailers());
                        listener.onCancel();
                        return;
                    }
                    listener.onMessage((Q) message);
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        listener.onHalfClose();
                    }
                }

                @Override
                public void onCancel() {
                    if (!refused) {
                        listener.onCancel();
                    }
                }

                @Override
                public void onComplete() {
                    if (!refused) {
                        listener.onComplete();
                    }
                }

                @Override
                public void onReady() {
                    if (!refused) {
                        listener.onReady();
                    }
                }
            };
        }
    }
}
