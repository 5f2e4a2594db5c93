package io.shardgrid.common.routing;

import java.util.Objects;

/** How to reach one node: its id and its gRPC, HTTP and raft addresses ({@code host:port}). */
public record NodeDescriptor(String nodeId, String grpcAddress, String httpAddress, String raftAddress) {
    public NodeDescriptor {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("node id must not be blank");
        }
        grpcAddress = grpcAddress == null ? "" : grpcAddress;
        httpAddress = httpAddress == null ? "" : httpAddress;
        raftAddress = raftAddress == null ? "" : raftAddress;
    }
}
