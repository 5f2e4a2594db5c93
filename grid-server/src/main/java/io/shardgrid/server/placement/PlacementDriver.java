package io.shardgrid.server.placement;

import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.server.core.ports.SplitResult;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.server.config.PlacementSettings;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.consensus.PartitionSplitter;
import io.shardgrid.server.consensus.RatisNode;
import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.NodeView;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.PartitionView;
import io.shardgrid.server.placement.plan.PlacementPlanner;
import io.shardgrid.server.placement.plan.SplitPartition;
import io.shardgrid.server.placement.plan.SplitPlanner;
import io.shardgrid.server.placement.plan.TransferLeader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs placement: on the meta leader it re-plans every {@code interval} (liveness from asking
 * every node each round, the {@link PlacementPlanner}) and starts the planned operators within the
 * move limits ({@link OperatorAdmission}), including the splits its {@link SplitPlanner} asks for
 * (one at a time, from the leaders' operation counters that {@link PartitionLoadTracker} turns into
 * rates, and the partitions' sizes); on every node it deletes local
 * copies of partitions the map no longer gives this node ({@link StrayCopyCleaner}). Admin calls reach it
 * through {@link #rebalance}, {@link #move}, {@link #transferLeader}, {@link #drain} and
 * {@link #remove}.
 *
 * <p>A move is recorded in the map (its target as a learner) before it starts, so a new meta leader
 * finishes an interrupted add; the planner then removes any replica too many.
 */
public final class PlacementDriver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PlacementDriver.class);
    /** Leader transfers started per round: enough to converge fast, few enough to avoid an election storm. */
    private static final int TRANSFERS_PER_ROUND = 8;
    /** How long `grid admin split` waits for a replica move on its partition to finish. */
    private static final Duration SPLIT_WAITS_FOR_MOVE = Duration.ofSeconds(30);

    private final RatisNode node;
    private final Membership membership;
    private final PlacementSettings settings;
    private final ScheduledExecutorService rounds;
    private final ExecutorService workers;
    private final Map<Long, RunningOperator> running = new ConcurrentHashMap<>();
    private final StrayCopyCleaner strayCopies;
    private final SplitRunner splits;
    private final SplitPlanner splitPlanner;
    private final PartitionLoadTracker load;
    private final OperatorAdmission admission;
    private final AtomicLong ids = new AtomicLong();
    private final String nodeId;
    private final PeerProbe peers;
    /** Nodes that did not answer the last round's probe. */
    private volatile Set<String> unreachable = Set.of();
    private volatile String lastRoundFailure = "";
    /** When each node last answered a probe, while this node leads the meta group. */
    private final Map<String, Long> lastAnsweredMs = new ConcurrentHashMap<>();

    /** An operator that has started and not finished. */
    public record RunningOperator(long id, Operator operator, long startedMs) {
    }

    /** @param peers asks the nodes who leads what and finds those that do not answer */
    public PlacementDriver(RatisNode node, Membership membership, PlacementSettings settings, String nodeId,
                           PeerProbe peers) {
        this.peers = peers;
        this.node = node;
        this.membership = membership;
        this.settings = settings;
        this.nodeId = nodeId;
        this.strayCopies = new StrayCopyCleaner(node, membership, nodeId, settings.downAfter());
        this.splits = new SplitRunner(node, membership, new PartitionSplitter(membership));
        this.splitPlanner = new SplitPlanner(settings.splits().partitionsPerNode(), settings.splits().hotOpsPerSec(),
            settings.splits().splitBytes());
        this.load = new PartitionLoadTracker(settings.splits().hotOpsPerSec(), settings.splits().hotFor().toMillis());
        this.admission = new OperatorAdmission(settings.maxMoves(), settings.maxMovesPerNode(), TRANSFERS_PER_ROUND);
        this.rounds = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(nodeId + "-placement"));
        this.workers = Executors.newFixedThreadPool(settings.maxMoves() + 1,
            DaemonThreads.numbered(nodeId + "-placement-op"));
    }

    public PlacementDriver start() {
        long everyMs = settings.automatic() ? settings.interval().toMillis() : 5_000;
        rounds.scheduleWithFixedDelay(this::round, everyMs, everyMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** How long each node has not answered this node's probes, while it leads the meta group; else empty. */
    public Map<String, Long> nodeSilenceMs() {
        if (!node.isMetaLeader()) {
            return Map.of();
        }
        long now = monotonicMs();
        Map<String, Long> silence = new HashMap<>();
        lastAnsweredMs.forEach((id, at) -> silence.put(id, now - at));
        return silence;
    }

    /** Who leads each partition now, as its own replicas report it: asks every node, so for admin calls. */
    public Map<Integer, String> reportedLeaders(PartitionMap map) {
        return peers.probe(map).leaders();
    }

    private void round() {
        try {
            strayCopies.dropStrayCopies();
            if (node.isMetaLeader()) {
                splits.finishStarted();
                if (settings.automatic()) {
                    start(plan());
                } else {
                    probe(membership.readMap()); // liveness for admin status without planning
                }
            } else {
                lastAnsweredMs.clear(); // a later term here counts silence afresh
            }
            lastRoundFailure = "";
        } catch (IOException | RuntimeException e) {
            // Once per distinct cause: a round repeats every interval.
            if (!e.toString().equals(lastRoundFailure)) {
                LOG.warn("{}: placement round failed: {}", nodeId, e.toString());
            }
            lastRoundFailure = e.toString();
        }
    }

    /**
     * Splits {@code partitionId} now (synchronously): it keeps the lower half of its hash range and
     * a new partition on the same replicas takes the upper half. Returns the map that records it.
     */
    public SplitResult split(int partitionId) throws IOException {
        // A replica move on the partition takes a few seconds: wait for it rather than refuse the operator.
        long deadline = System.nanoTime() + SPLIT_WAITS_FOR_MOVE.toNanos();
        while (running.values().stream().anyMatch(r -> r.operator().partitionId() == partitionId)) {
            if (System.nanoTime() > deadline) {
                throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "partition " + partitionId
                    + " is still moving after " + SPLIT_WAITS_FOR_MOVE.toSeconds() + " s; try again");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while partition " + partitionId + " moves");
            }
        }
        return splits.split(partitionId);
    }

    /** The operators that would balance the cluster now, minus those on partitions already moving. */
    public List<Operator> plan() throws IOException {
        PartitionMap map = membership.readMap();
        int rf = map.replicationFactor();
        if (map.nodes().size() <= rf && map.partitions().stream()
                .anyMatch(a -> a.replicas().size() < map.nodes().size())) {
            // Up to RF nodes a join adds the new node to every partition itself (Membership.join);
            // transfers or moves beside it make its reconfigurations fail. Wait until it is done.
            return List.of();
        }
        PeerProbe.PeerReport report = probe(map);
        Map<String, Long> silence = nodeSilenceMs();
        long downAfterMs = settings.downAfter().toMillis();
        List<NodeView> nodes = new ArrayList<>();
        Map<String, NodeView> byId = new HashMap<>();
        for (NodeDescriptor d : map.nodes().values()) {
            boolean live = silence.getOrDefault(d.nodeId(), 0L) < downAfterMs;
            NodeView view = new NodeView(d.nodeId(), d.zone(), live, d.draining());
            nodes.add(view);
            byId.put(d.nodeId(), view);
        }
        Map<Integer, String> leaders = report.leaders();
        Map<Integer, Long> sustained = load.update(report.leaderLoad(), node, nodeId, monotonicMs());
        List<PartitionView> partitions = new ArrayList<>();
        List<Operator> resumed = new ArrayList<>();
        Set<Integer> inSplit = new HashSet<>();
        for (PartitionAssignment child : map.splitting()) {
            inSplit.add(child.partitionId());
            inSplit.add(child.splitParent());
        }
        for (PartitionAssignment a : map.partitions()) {
            int p = a.partitionId();
            if (a.splitting()) {
                continue; // no group yet: nothing to place until the split is done
            }
            long bytes = bytes(p, report);
            String leader = leaders.getOrDefault(p, "");
            partitions.add(new PartitionView(p, a.replicas(), leader, bytes, a.range().bits(),
                sustained.getOrDefault(p, 0L)));
            for (String learner : a.learners()) {
                // An add that a previous meta leader (or an earlier round) recorded but did not
                // finish: finish it, or roll it back if its target can no longer take the replica.
                NodeView target = byId.get(learner);
                if (target != null && target.eligible() && report.unreachable().contains(learner)) {
                    continue; // not down yet, yet not answering: wait until it answers or counts as down
                }
                resumed.add(target != null && target.eligible() ? new MoveReplica(p, "", learner, bytes)
                    : new MoveReplica(p, learner, "", 0));
            }
        }
        List<Operator> planned = new ArrayList<>(resumed);
        for (Operator op : new PlacementPlanner(rf, splitPlanner).plan(partitions, nodes)) {
            PartitionAssignment a = map.partition(op.partitionId());
            if (!a.learners().isEmpty() || inSplit.contains(op.partitionId())) {
                continue;
            }
            if (op instanceof SplitPartition && (!inSplit.isEmpty() || !report.unreachable().isEmpty())) {
                continue; // one split at a time, and none while a node does not answer
            }
            // A node that stopped answering is not down yet (down-after) but takes nothing new: a
            // leader transfer towards it holds the partition's writes until the transfer times out.
            if (report.unreachable().contains(op.toNodeId())) {
                continue;
            }
            // Never shrink a partition below RF just because no node can take the replica yet:
            // a replica on a dead node still lets the others form a majority of the full group.
            if (op instanceof MoveReplica m && m.toNodeId().isEmpty() && a.replicas().size() <= rf) {
                continue;
            }
            // Up to RF nodes, a joining node is added to every partition by the join itself
            // (Membership.join); moving replicas alongside it would race its reconfigurations.
            if (op instanceof MoveReplica && map.nodes().size() <= rf) {
                continue;
            }
            planned.add(op);
        }
        return planned;
    }

    /**
     * A partition's live bytes: this node's replica's when it has one, else what its leader reported
     * (with more nodes than the replication factor the meta leader does not hold every partition).
     */
    private long bytes(int p, PeerProbe.PeerReport report) {
        if (node.hosts(p)) {
            try {
                return node.store(p).stats().liveBytes();
            } catch (GridException e) {
                // the replica left between the two calls: use the report
            }
        }
        PeerProbe.LeaderLoad reported = report.leaderLoad().get(p);
        return reported == null ? 0 : reported.liveBytes();
    }

    /**
     * Asks every node of {@code map} and notes who answered. A node is down once it has not
     * answered this meta leader's probes for down-after. Raft heartbeats of the meta group are not
     * used: a new meta leader's figures start at its election, and a meta listener whose replica
     * Ratis closed looks silent while it serves.
     */
    private PeerProbe.PeerReport probe(PartitionMap map) {
        PeerProbe.PeerReport report = peers.probe(map);
        unreachable = report.unreachable();
        long now = monotonicMs();
        for (NodeDescriptor d : map.nodes().values()) {
            if (!report.unreachable().contains(d.nodeId())) {
                lastAnsweredMs.put(d.nodeId(), now);
            }
            lastAnsweredMs.putIfAbsent(d.nodeId(), now);
        }
        return report;
    }

    /**
     * Silences and stray-copy ages are measured on the monotonic clock: a step of the wall clock
     * on the meta leader (NTP, a VM resumed) must not make every node look down at once.
     */
    static long monotonicMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** Starts what the limits allow of {@code planned}; returns what started. */
    public List<Operator> start(List<Operator> planned) {
        List<Operator> started = admission.admit(planned,
            running.values().stream().map(RunningOperator::operator).toList(), splits.running());
        started.forEach(this::run);
        return started;
    }

    private void run(Operator op) {
        long id = ids.incrementAndGet();
        running.put(id, new RunningOperator(id, op, System.currentTimeMillis()));
        workers.execute(() -> {
            try {
                LOG.info("placement: starting {}", op);
                execute(op);
                LOG.info("placement: done {}", op);
            } catch (IOException | RuntimeException e) {
                LOG.warn("placement: {} failed: {}", op, e.toString());
            } finally {
                running.remove(id);
            }
        });
    }

    private void execute(Operator op) throws IOException {
        if (op instanceof MoveReplica m) {
            membership.moveReplica(m.partitionId(), m.fromNodeId(), m.toNodeId(), unreachable);
        } else if (op instanceof TransferLeader t) {
            membership.transferLeadership(t.partitionId(), t.toNodeId());
        } else if (op instanceof SplitPartition split) {
            splits.split(split.partitionId());
            load.forget(split.partitionId());
        }
    }

    /** Operators running from this node. */
    public List<RunningOperator> running() {
        return List.copyOf(running.values());
    }

    /** Plans and, unless {@code dryRun}, starts what the limits allow (the rest follows in later rounds). */
    public List<Operator> rebalance(boolean dryRun) throws IOException {
        List<Operator> planned = plan();
        return dryRun ? planned : start(planned);
    }

    /** Moves one replica now, whatever the planner thinks (it may move it back later if unbalanced). */
    public Operator move(int partitionId, String from, String to) throws IOException {
        PartitionMap map = membership.readMap();
        if (!map.hasPartition(partitionId) || map.partition(partitionId).splitting()) {
            throw new GridException(GridErrorCode.UNKNOWN_PARTITION, "partition " + partitionId + " does not exist (0.."
                + (map.partitionCount() - 1) + ") or is still being split off another");
        }
        PartitionAssignment a = map.partition(partitionId);
        if (!from.isEmpty() && !a.replicas().contains(from)) {
            throw GridException.invalidArgument("node " + from + " holds no replica of partition " + partitionId);
        }
        if (!to.isEmpty() && map.node(to).isEmpty()) {
            throw GridException.invalidArgument("node " + to + " is not in the cluster");
        }
        if (!to.isEmpty() && a.replicas().contains(to)) {
            throw GridException.invalidArgument("node " + to + " already holds partition " + partitionId);
        }
        if (running.values().stream().anyMatch(r -> r.operator().partitionId() == partitionId)) {
            throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED, "partition " + partitionId + " is already moving");
        }
        long bytes = node.hosts(partitionId) ? node.store(partitionId).stats().liveBytes() : 0;
        Operator op = new MoveReplica(partitionId, from, to, bytes);
        run(op);
        return op;
    }

    /** Moves leadership of one partition now (synchronously). */
    public Operator transferLeader(int partitionId, String to) throws IOException {
        PartitionMap map = membership.readMap();
        if (!map.hasPartition(partitionId) || map.partition(partitionId).splitting()) {
            throw new GridException(GridErrorCode.UNKNOWN_PARTITION, "partition " + partitionId + " does not exist");
        }
        String from = node.leaderOf(partitionId).orElse("");
        membership.transferLeadership(partitionId, to);
        return new TransferLeader(partitionId, from, to);
    }

    /** Marks {@code nodeId} draining; the meta leader's rounds then move its replicas and leaders away. */
    public List<Operator> drain(String nodeId) throws IOException {
        membership.setDraining(nodeId, true);
        return plan();
    }

    /** Forgets a drained node. */
    public void remove(String nodeId) throws IOException {
        membership.removeNode(nodeId);
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        workers.shutdownNow();
    }

}
