package io.shardgrid.bench.placement;

import io.shardgrid.server.placement.plan.MoveReplica;
import io.shardgrid.server.placement.plan.NodeView;
import io.shardgrid.server.placement.plan.Operator;
import io.shardgrid.server.placement.plan.PlacementPlanner;
import io.shardgrid.server.placement.plan.PlannedCluster;
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
 * <p>Usage: {@code PlacementSimulation [nodes=300] [partitions=16384] [rf=3] [zones=3] [events=20]}
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
        PlacementPlanner planner = new PlacementPlanner(rf);
        PlannedCluster cluster = new PlannedCluster(partitions);
        int start = nodes - events;
        for (int i = 0; i < start; i++) {
            cluster.put(new NodeView(id(i), zone(i, zones), true, false));
        }
        long t0 = System.nanoTime();
        cluster.apply(planner.plan(cluster.partitions(), cluster.nodes()));
        cluster.apply(planner.plan(cluster.partitions(), cluster.nodes()));
        System.out.printf("initial layout of %d partitions x RF %d on %d nodes (%d zones) in %d ms%n%n",
            partitions, rf, start, zones, (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("%-12s %7s %8s %6s %9s %9s %8s %8s%n", "event", "moves", "optimum", "ratio",
            "replicas", "leaders", "plan ms", "nodes");
        double worstRatio = 0;
        long worstMs = 0;
        long totalMoves = 0;
        long totalOptimum = 0;
        for (int e = 0; e < events; e++) {
            int n = start + e;
            cluster.put(new NodeView(id(n), zone(n, zones), true, false));
            long optimum = (long) partitions * rf / (n + 1);
            Result r = event(planner, cluster, "join " + id(n), optimum);
            worstRatio = Math.max(worstRatio, r.ratio());
            worstMs = Math.max(worstMs, r.planMs());
            totalMoves += r.moves();
            totalOptimum += optimum;
        }
        for (int e = 0; e < events; e++) {
            String victim = id(e * 7 % nodes);
            long optimum = cluster.replicaCounts().get(victim);
            NodeView old = cluster.nodes().stream().filter(v -> v.nodeId().equals(victim)).findFirst().orElseThrow();
            cluster.put(new NodeView(victim, old.zone(), false, false));
            Result r = event(planner, cluster, "leave " + victim, optimum);
            worstRatio = Math.max(worstRatio, r.ratio());
            worstMs = Math.max(worstMs, r.planMs());
            totalMoves += r.moves();
            totalOptimum += optimum;
        }
        System.out.printf("%n%d events: %d moves against an optimum of %d (%.3fx overall, worst event %.3fx); "
            + "slowest plan %d ms%n", 2 * events, totalMoves, totalOptimum, (double) totalMoves / totalOptimum,
            worstRatio, worstMs);
    }

    private record Result(long moves, double ratio, long planMs) {
    }

    private static Result event(PlacementPlanner planner, PlannedCluster cluster, String name, long optimum) {
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
        System.out.printf("%-12s %7d %8d %6.3f %4d-%-4d %4d-%-4d %8d %8d%n", name, moves + extraMoves, optimum,
            ratio, min(replicas.values()), max(replicas.values()), min(leaders.values()), max(leaders.values()), ms,
            replicas.size());
        return new Result(moves + extraMoves, ratio, ms);
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
