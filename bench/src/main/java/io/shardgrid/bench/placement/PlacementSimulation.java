package io.shardgrid.bench.placement;

import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.NodeView;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.PlacementPlanner;
import io.shardgrid.server.placement.plan.PlannedCluster;
import io.shardgrid.server.placement.plan.SplitPlanner;
import io.shardgrid.server.placement.plan.TransferLeader;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The placement planner at scale, on paper: a cluster grows node by node to {@code nodes}, then
 * loses nodes one by one. For each event: replica moves planned against the fewest possible,
 * replica and leader spread after the plan is applied, and the planner's own time.
 *
 * <p>With a {@code partitions-per-node} target T, the planner also splits: before each event's moves
 * the splits it asks for are applied one by one (as the driver runs them, one at a time, holding
 * balance moves meanwhile), and the event reports the partition count, the average replicas per
 * node (which must stay within the band [T, 2T]) and moves against the fewest that can even out the
 * counts the splits left: max(replicas missing below the floor of the average, replicas above its
 * ceiling plus those on dead nodes).
 *
 * <p>Usage: {@code PlacementSimulation [nodes=300] [partitions=16384] [rf=3] [zones=3] [events=20]
 * [partitions-per-node=0]}
 */
public final class PlacementSimulation {
    private PlacementSimulation() {
    }

    public static void main(String[] args) {
        int nodes = arg(args, 0, 300);
        int partitions = arg(args, 1, 16_384);
        int rf = arg(args, 2, 3);
        int zones = arg(args, 3, 3);
        int events = arg(args, 4, 20);
        int partitionsPerNode = arg(args, 5, 0);
        SplitPlanner splits = new SplitPlanner(partitionsPerNode, 0);
        PlacementPlanner planner = new PlacementPlanner(rf, splits);
        PlannedCluster cluster = new PlannedCluster(partitions);
        int start = nodes - events;
        for (int i = 0; i < start; i++) {
            cluster.put(new NodeView(id(i), zone(i, zones), true, false));
        }
        long t0 = System.nanoTime();
        split(splits, cluster, rf);
        cluster.apply(planner.plan(cluster.partitions(), cluster.nodes()));
        cluster.apply(planner.plan(cluster.partitions(), cluster.nodes()));
        System.out.printf("initial layout of %d partitions x RF %d on %d nodes (%d zones) in %d ms%n%n",
            cluster.partitionCount(), rf, start, zones, (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("%-12s %7s %8s %6s %9s %9s %8s %8s %6s %10s%n", "event", "moves", "optimum", "ratio",
            "replicas", "leaders", "plan ms", "nodes", "splits", "per node");
        boolean inBand = true;
        double worstRatio = 0;
        long worstMs = 0;
        long totalMoves = 0;
        long totalOptimum = 0;
        for (int e = 0; e < events; e++) {
            int n = start + e;
            cluster.put(new NodeView(id(n), zone(n, zones), true, false));
            long optimum = (long) partitions * rf / (n + 1);
            Result r = event(planner, splits, cluster, rf, "join " + id(n), optimum);
            inBand &= r.inBand();
            worstRatio = Math.max(worstRatio, r.ratio());
            worstMs = Math.max(worstMs, r.planMs());
            totalMoves += r.moves();
            totalOptimum += r.optimum();
        }
        for (int e = 0; e < events; e++) {
            String victim = id(e * 7 % nodes);
            long optimum = cluster.replicaCounts().get(victim);
            NodeView old = cluster.nodes().stream().filter(v -> v.nodeId().equals(victim)).findFirst().orElseThrow();
            cluster.put(new NodeView(victim, old.zone(), false, false));
            Result r = event(planner, splits, cluster, rf, "leave " + victim, optimum);
            inBand &= r.inBand();
            worstRatio = Math.max(worstRatio, r.ratio());
            worstMs = Math.max(worstMs, r.planMs());
            totalMoves += r.moves();
            totalOptimum += r.optimum();
        }
        System.out.printf("%n%d events: %d moves against an optimum of %d (%.3fx overall, worst event %.3fx); "
            + "slowest plan %d ms%n", 2 * events, totalMoves, totalOptimum, (double) totalMoves / totalOptimum,
            worstRatio, worstMs);
        if (partitionsPerNode > 0) {
            System.out.printf("%d partitions at the end; average replicas per live node within [%d, %d] after every "
                + "event: %s%n", cluster.partitionCount(), partitionsPerNode, 2 * partitionsPerNode, inBand);
        }
    }

    private record Result(long moves, long optimum, double ratio, long planMs, boolean inBand) {
    }

    /** Applies the splits the planner asks for, one at a time; returns how many. */
    private static int split(SplitPlanner splits, PlannedCluster cluster, int rf) {
        int eligible = (int) cluster.nodes().stream().filter(NodeView::eligible).count();
        int count = 0;
        for (var split = splits.choose(cluster.partitions(), eligible, rf); split.isPresent();
             split = splits.choose(cluster.partitions(), eligible, rf)) {
            cluster.apply(List.<Operator>of(split.get()));
            count++;
        }
        return count;
    }

    /** The fewest moves that even out the counts now: see the class comment. */
    private static long fewestMoves(PlannedCluster cluster) {
        Map<String, Integer> counts = cluster.replicaCounts();
        List<NodeView> eligible = cluster.nodes().stream().filter(NodeView::eligible).toList();
        long total = 0;
        long stranded = 0;
        for (NodeView v : cluster.nodes()) {
            if (v.eligible()) {
                total += counts.get(v.nodeId());
            } else {
                stranded += counts.get(v.nodeId());
            }
        }
        long floor = (total + stranded) / eligible.size();
        long ceiling = (total + stranded + eligible.size() - 1) / eligible.size();
        long missing = 0;
        long extra = stranded;
        for (NodeView v : eligible) {
            missing += Math.max(0, floor - counts.get(v.nodeId()));
            extra += Math.max(0, counts.get(v.nodeId()) - ceiling);
        }
        return Math.max(missing, extra);
    }

    private static Result event(PlacementPlanner planner, SplitPlanner splits, PlannedCluster cluster, int rf,
                                String name, long optimum) {
        int splitCount = split(splits, cluster, rf);
        if (splitCount > 0) {
            optimum = fewestMoves(cluster);
        }
        long t = System.nanoTime();
        List<Operator> plan = planner.plan(cluster.partitions(), cluster.nodes());
        long ms = (System.nanoTime() - t) / 1_000_000;
        long moves = plan.stream().filter(MoveReplica.class::isInstance).count();
        cluster.apply(plan);
        // Transfers to replicas that only just arrived are planned once they hold the partition.
        List<Operator> followUp = planner.plan(cluster.partitions(), cluster.nodes());
        long extraMoves = followUp.stream().filter(MoveReplica.class::isInstance).count();
        cluster.apply(followUp.stream().filter(TransferLeader.class::isInstance).toList());
        Map<String, Integer> replicas = live(cluster, cluster.replicaCounts());
        Map<String, Integer> leaders = live(cluster, cluster.leaderCounts());
        double ratio = optimum == 0 ? 1 : (double) (moves + extraMoves) / optimum;
        double perNode = replicas.values().stream().mapToInt(Integer::intValue).sum() / (double) replicas.size();
        boolean inBand = splits.inBand(cluster.partitionCount(), replicas.size(), rf);
        System.out.printf("%-12s %7d %8d %6.3f %4d-%-4d %4d-%-4d %8d %8d %6d %10.2f%n", name, moves + extraMoves,
            optimum, ratio, min(replicas.values()), max(replicas.values()), min(leaders.values()),
            max(leaders.values()), ms, replicas.size(), splitCount, perNode);
        return new Result(moves + extraMoves, optimum, ratio, ms, inBand);
    }

    private static Map<String, Integer> live(PlannedCluster cluster, Map<String, Integer> counts) {
        return cluster.nodes().stream().filter(NodeView::eligible)
            .collect(Collectors.toMap(NodeView::nodeId, v -> counts.getOrDefault(v.nodeId(), 0)));
    }

    private static int min(Collection<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).min().orElse(0);
    }

    private static int max(Collection<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private static String id(int i) {
        return String.format("node%03d", i);
    }

    private static String zone(int i, int zones) {
        return zones == 0 ? "" : "zone-" + (char) ('a' + i % zones);
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }
}
