package io.shardgrid.server.consensus;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.PartitionMapMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Founds a cluster on several nodes at once ({@code --bootstrap-expect N}): the bootstrapping node
 * waits until N - 1 nodes have asked to join, creates the meta group and every partition group on
 * all N with all N as voters, and records a first map that names them all. No membership change
 * runs, so the groups elect as soon as they exist on two nodes; a founder's join call waits here
 * meanwhile and is answered once the map is recorded. A bootstrap alone is the case N = 1.
 *
 * <p>The first map is written to the data directory before any group is created and removed once
 * the meta group holds it: a founder killed in between restarts with groups that no map names, and
 * {@link #resumeIfInterrupted} finishes the founding from that file instead of serving nothing.
 */
final class ClusterFounding {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterFounding.class);
    /** How long a join call waits for the founding before it is told to retry. */
    private static final Duration JOIN_WAIT = Duration.ofSeconds(20);
    private static final long PROGRESS_LOG_MS = 5_000;
    /** Past this the first map is proposed anyway: the raft client finds the leader itself, only slower. */
    private static final Duration META_LEADER_WAIT = Duration.ofSeconds(10);
    private static final String PENDING_MAP_FILE = "founding-map.pb";

    private final RatisNode node;
    private final RaftClients clients;
    private final PartitionMapUpdater maps;
    private final CompletableFuture<PartitionMap> founded = new CompletableFuture<>();
    /** Founders that joined, in arrival order; guarded by {@code this}. */
    private final Map<String, NodeDescriptor> joiners = new LinkedHashMap<>();
    /** How many joiners the founding still takes; 0 when none waits (guarded by {@code this}). */
    private int seats;

    ClusterFounding(RatisNode node, RaftClients clients, PartitionMapUpdater maps) {
        this.node = node;
        this.clients = clients;
        this.maps = maps;
    }

    /** Waits for {@code expected - 1} joiners, creates every group on all founders and records the first map. */
    PartitionMap found(int expected, int partitionCount, int replicationFactor) throws IOException {
        try {
            List<NodeDescriptor> founders = new ArrayList<>();
            founders.add(node.config().descriptor());
            founders.addAll(awaitJoiners(expected - 1));
            PartitionMap first = PartitionMap.founding(founders, partitionCount, replicationFactor);
            DurableFiles.replace(pendingMapFile(), pendingMapFile().resolveSibling(PENDING_MAP_FILE + ".tmp"),
                out -> PartitionMapCodec.toMessage(first).writeTo(out));
            if (!record(first)) {
                throw new IOException("another first map was recorded while founding the cluster");
            }
            founded.complete(first);
            return first;
        } catch (IOException | RuntimeException e) {
            founded.completeExceptionally(e);
            throw e;
        }
    }

    /**
     * On a restart: if this node stopped while founding (its first map written, maybe some groups
     * created, the map maybe not recorded), finishes that founding with the founders it had: deletes
     * the groups that can never elect ({@link NeverElectedGroups}), creates what is missing and
     * records the map. Returns whether there was a founding to finish.
     */
    boolean resumeIfInterrupted() throws IOException {
        if (!Files.exists(pendingMapFile())) {
            return false;
        }
        PartitionMap first;
        try (InputStream in = Files.newInputStream(pendingMapFile())) {
            first = PartitionMapCodec.fromMessage(PartitionMapMessage.parseFrom(in));
        }
        LOG.info("{}: resuming a founding that stopped before its first map was recorded (founders {})",
            node.config().nodeId(), first.nodes().keySet());
        new NeverElectedGroups(clients, node.config().nodeId())
            .delete(peersOf(first), groupsOf(first.partitions().size()));
        // Not installed: the map was recorded just before the node stopped (only a founding proposes epoch 1).
        boolean installed = record(first);
        LOG.info("{}: founding resumed; first map {}", node.config().nodeId(),
            installed ? "recorded now" : "was already recorded");
        return true;
    }

    /** Creates every group on every founder, proposes {@code first}; whether the meta group installed it. */
    private boolean record(PartitionMap first) throws IOException {
        createGroups(first);
        awaitMetaLeader();
        boolean installed = maps.propose(first);
        Files.delete(pendingMapFile());
        return installed;
    }

    private Path pendingMapFile() {
        return node.config().dataDir().resolve(PENDING_MAP_FILE);
    }

    /**
     * A join while this node founds the cluster: the joiner takes a free founding seat (or already has
     * one) and the call returns the first map once it is recorded. Empty when no founding has a seat
     * for it: the join then runs the usual way.
     */
    Optional<PartitionMap> joinIfFounding(NodeDescriptor joiner) throws IOException {
        synchronized (this) {
            boolean seated = joiners.containsKey(joiner.nodeId());
            if (!seated && (seats == 0 || joiner.nodeId().equals(node.config().nodeId()))) {
                return Optional.empty();
            }
            if (!seated) {
                joiners.put(joiner.nodeId(), joiner);
                seats--;
                notifyAll();
            }
        }
        try {
            return Optional.of(founded.get(JOIN_WAIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            throw new GridException(GridErrorCode.UNAVAILABLE, "the cluster is still being founded (waiting for "
                + pendingSeats() + " more nodes to join); retry");
        } catch (ExecutionException e) {
            throw new IOException("founding the cluster failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the cluster is founded");
        }
    }

    private synchronized int pendingSeats() {
        return seats;
    }

    private synchronized List<NodeDescriptor> awaitJoiners(int count) throws InterruptedIOException {
        seats = count;
        long logAt = System.currentTimeMillis() + PROGRESS_LOG_MS;
        try {
            while (seats > 0) {
                wait(Math.max(1, logAt - System.currentTimeMillis()));
                if (seats > 0 && System.currentTimeMillis() >= logAt) {
                    LOG.info("{}: founding a cluster of {} nodes: waiting for {} more to join (joined: {})",
                        node.config().nodeId(), count + 1, seats, joiners.keySet());
                    logAt = System.currentTimeMillis() + PROGRESS_LOG_MS;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for founding nodes");
        }
        return List.copyOf(joiners.values());
    }

    /**
     * Waits (at most {@link #META_LEADER_WAIT}) until this node knows the new meta group's leader, so
     * the first map goes straight to it: a proposal the raft client sends before there is a leader,
     * or to a follower, waits out a retry's sleep.
     */
    private void awaitMetaLeader() throws InterruptedIOException {
        long deadline = System.nanoTime() + META_LEADER_WAIT.toNanos();
        try {
            while (node.metaLeaderId().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the meta group elects");
        }
    }

    /**
     * Every founder creates every group, all founders at once. Ratis creates a node's groups one at a
     * time on one thread, so each founder gets its requests one after another over one connection.
     */
    private void createGroups(PartitionMap first) throws IOException {
        List<RaftPeer> peers = peersOf(first);
        List<RaftGroupId> groups = groupsOf(first.partitions().size());
        GroupSteps.runAll(node.config().nodeId() + "-found", IntStream.range(0, peers.size()).boxed().toList(), i -> {
            RaftPeer founder = peers.get(i);
            try (RaftClient client = clients.client(GroupIds.META_GROUP, List.of(founder))) {
                for (RaftGroupId group : groups) {
                    try {
                        client.getGroupManagementApi(founder.getId()).add(RaftGroup.valueOf(group, peers));
                    } catch (AlreadyExistsException e) {
                        LOG.debug("{}: {} already hosts {}", node.config().nodeId(), founder.getId(), group);
                    }
                }
            }
        });
        LOG.info("{}: created the meta group and {} partition groups on {}", node.config().nodeId(),
            first.partitions().size(), first.nodes().keySet());
    }

    private static List<RaftPeer> peersOf(PartitionMap first) {
        return first.nodes().values().stream().map(RaftClients::peer).toList();
    }

    /** The meta group, then every partition's. */
    private static List<RaftGroupId> groupsOf(int partitionCount) {
        List<RaftGroupId> groups = new ArrayList<>();
        groups.add(GroupIds.META_GROUP);
        IntStream.range(0, partitionCount).forEach(p -> groups.add(GroupIds.partition(p)));
        return groups;
    }
}
