package io.shardgrid.server.consensus;

import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.common.routing.PartitionMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's raft server as the split entries of its partitions see it: seeds live under
 * {@code <data-dir>/split-seeds}, child groups are added in-process.
 */
final class NodeSplitHost implements SplitHost, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeSplitHost.class);

    private final RaftServer server;
    private final Path seeds;
    private final String nodeId;
    private final Supplier<PartitionMap> map;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Adds child groups off the apply threads (a group add must not wait inside another group's start). */
    private final ExecutorService adder;

    NodeSplitHost(RaftServer server, Path dataDir, String nodeId, Supplier<PartitionMap> map) {
        this.server = server;
        this.seeds = dataDir.resolve("split-seeds");
        this.nodeId = nodeId;
        this.map = map;
        this.adder = Executors.newSingleThreadExecutor(DaemonThreads.named(nodeId + "-split-groups"));
    }

    @Override
    public boolean hostsGroup(int partitionId) {
        RaftGroupId wanted = GroupIds.partition(partitionId);
        for (RaftGroupId id : server.getGroupIds()) {
            if (id.equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean dropIfNeverElected(int partitionId) throws IOException {
        RaftGroupId groupId = GroupIds.partition(partitionId);
        if (!hostsGroup(partitionId) || !server.getDivision(groupId).getRaftConf().getCurrentPeers().isEmpty()) {
            return false;
        }
        RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(clientId, server.getId(),
            callIds.incrementAndGet(), groupId, true, false));
        if (!reply.isSuccess()) {
            throw new IOException("could not delete the group of partition " + partitionId + ", which knows no peers: "
                + reply.getException());
        }
        LOG.info("{}: p{} knew no peers (all its replicas stopped before its first election); deleted to add it again",
            nodeId, partitionId);
        return true;
    }

    @Override
    public Path seedFile(int partitionId) {
        return seeds.resolve("p" + partitionId + ".seed");
    }

    @Override
    public void addChildGroup(int childId, int parentId) throws IOException {
        Collection<RaftPeer> peers = server.getDivision(GroupIds.partition(parentId)).getRaftConf().getCurrentPeers();
        RaftGroup group = RaftGroup.valueOf(GroupIds.partition(childId), List.copyOf(peers));
        RaftClientReply reply;
        try {
            reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(),
                callIds.incrementAndGet(), group));
        } catch (AlreadyExistsException e) {
            return;
        }
        if (!reply.isSuccess() && !hostsGroup(childId)) {
            throw new IOException("could not add the group of partition " + childId + ": " + reply.getException());
        }
    }

    @Override
    public void ensureChildGroups(int parentId, List<Integer> children) {
        if (children.isEmpty()) {
            return;
        }
        adder.execute(() -> {
            for (int child : children) {
                PartitionMap m = map.get();
                boolean assigned = m == null || !m.hasPartition(child)
                    || m.partition(child).replicas().contains(nodeId) || m.partition(child).learners().contains(nodeId);
                if (hostsGroup(child) || !assigned) {
                    continue;
                }
                try {
                    addChildGroup(child, parentId);
                    LOG.info("{}: added an empty p{} (split off p{} before this replica caught up by snapshot);"
                        + " its leader sends it the data", nodeId, child, parentId);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("{}: could not add p{}, split off p{}: {}", nodeId, child, parentId, e.toString());
                }
            }
        });
    }

    @Override
    public void close() {
        adder.shutdownNow();
    }
}
