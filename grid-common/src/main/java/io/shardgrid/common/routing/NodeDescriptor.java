package io.shardgrid.common.routing;

import java.util.Objects;

/**
 * How to reach one node: its id and its gRPC, HTTP and raft addresses ({@code host:port}), its
 * zone (failure domain, empty when unlabelled), and whether it is being drained.
 */
public record NodeDescriptor(String nodeId, String grpcAddress, String httpAddress, String raftAddress, String zone,
                             boolean draining) {
    public NodeDescriptor {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("node id must not be blank");
        }
        grpcAddress = grpcAddress == null ? "" : grpcAddress;
        httpAddress = httpAddress == null ? "" : httpAddress;
        raftAddress = raftAddress == null ? "" : raftAddress;
        zone = zone == null ? "" : zone;
    }

    public NodeDescriptor(String nodeId, String grpcAddress, String httpAddress, String raftAddress) {
        this(nodeId, grpcAddress, httpAddress, raftAddress, "", false);
    }

    public NodeDescriptor withDraining(boolean value) {
        return new NodeDescriptor(nodeId, grpcAddress, httpAddress, raftAddress, zone, value);
    }
}
