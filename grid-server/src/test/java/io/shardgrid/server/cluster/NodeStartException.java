package io.shardgrid.server.cluster;

import java.net.BindException;

/** A node of {@link InJvmGridCluster} that did not start, with the addresses it tried. */
public final class NodeStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NodeStartException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether a port the node listens on was taken. The JDK's HTTP server throws a
     * {@link BindException}; gRPC and Ratis (through its shaded Netty, whose native transport has
     * its own exception type) wrap the cause in "Failed to bind to address ...".
     */
    public boolean bindFailure() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof BindException
                || message != null && (message.contains("Failed to bind") || message.contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }
}
