package io.shardgrid.server.placement.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The replica half of a plan: a working copy of which eligible node holds which partition, edited
 * step by step toward balance, then compared with where replicas are now to give the moves.
 * Nodes are ordered by (replica count, id) so "least loaded" and "most loaded" are cheap to find.
 */
final class ReplicaPlacement {
    private final List<PartitionView> partitions;
    private final int replicas;
    private final Map<String, NodeView> eligible = new HashMap<>();
    private final Map<String, Set<Integer>> held = new HashMap<>();
    private final List<List<String>> placed = new ArrayList<>();
    private final TreeSet<String> byLoad;
    private final boolean zoned;
    private final int zoneCount;

    ReplicaPlacement(List<PartitionView> partitions, List<NodeView> eligibleNodes, int replicas) {
        this.partitions = partitions;
        this.replicas = replicas;
        for (NodeView n : eligibleNodes) {
            eligible.put(n.nodeId(), n);
            held.put(n.nodeId(), new HashSet<>());
        }
        this.byLoad = new TreeSet<>(Comparator.comparingInt((String id) -> held.get(id).size())
            .thenComparing(Comparator.naturalOrder()));
        Set<String> zones = new HashSet<>();
        for (NodeView n : eligibleNodes) {
            zones.add(n.zone());
        }
        this.zoned = eligibleNodes.stream().anyMatch(n -> !n.zone().isEmpty());
        this.zoneCount = zones.size();
        for (PartitionView p : partitions) {
            List<String> kept = new ArrayList<>();
            for (String id : p.replicas()) {
                if (eligible.containsKey(id) && !kept.contains(id)) {
                    kept.add(id);
                    held.get(id).add(p.partitionId());
                }
            }
            placed.add(kept);
        }
        byLoad.addAll(eligible.keySet());
    }

    /** Runs every step; returns this. */
    ReplicaPlacement solve() {
        dropExcess();
        fill();
        spreadZones();
        balance();
        return this;
    }

    /** Partitions with more than RF replicas on eligible nodes give up those on the busiest nodes. */
    private void dropExcess() {
        for (int i = 0; i < placed.size(); i++) {
            List<String> kept = placed.get(i);
            while (kept.size() > replicas) {
                String busiest = kept.stream().max(loadOrder()).orElseThrow();
                unassign(i, busiest);
            }
        }
    }

    /** Partitions short of replicas (new, or lost to dead and draining nodes) get them on the least loaded nodes. */
    private void fill() {
        for (int i = 0; i < placed.size(); i++) {
            while (placed.get(i).size() < replicas) {
                String target = bestTarget(i, null);
                if (target == null) {
                    break;
                }
                assign(i, target);
            }
        }
    }

    /** Where zones are labelled, a partition with two replicas in one zone moves one to an unused zone. */
    private void spreadZones() {
        if (!zoned) {
            return;
        }
        for (int i = 0; i < placed.size(); i++) {
            while (distinctZones(placed.get(i)) < Math.min(placed.get(i).size(), zoneCount)) {
                String duplicate = duplicateZoneReplica(placed.get(i));
                String target = bestTarget(i, duplicate);
                if (duplicate == null || target == null) {
                    break;
                }
                unassign(i, duplicate);
                assign(i, target);
            }
        }
    }

    /** Moves replicas from the most to the least loaded nodes until every count is within one of the others. */
    private void balance() {
        while (held.get(byLoad.last()).size() - held.get(byLoad.first()).size() > 1) {
            if (!moveOneFromBusiest()) {
                return;
            }
        }
    }

    private boolean moveOneFromBusiest() {
        List<String> busiestFirst = new ArrayList<>(byLoad.descendingSet());
        List<String> lightestFirst = new ArrayList<>(byLoad);
        for (String from : busiestFirst) {
            int fromCount = held.get(from).size();
            // Where every partition on `from` already spans every zone, only a node of the same
            // zone can take one: skip the others without looking at each partition again.
            boolean mayLeaveZone = !zoned || mayLeaveZone(from);
            for (String to : lightestFirst) {
                if (held.get(to).size() >= fromCount - 1) {
                    break;
                }
                if (!mayLeaveZone && !eligible.get(to).zone().equals(eligible.get(from).zone())) {
                    continue;
                }
                Integer partition = movable(from, to);
                if (partition != null) {
                    unassign(partition, from);
                    assign(partition, to);
                    return true;
                }
            }
        }
        return false;
    }

    /** A partition on {@code from}, not on {@code to}, whose zone spread survives the move; the cheapest to copy. */
    private Integer movable(String from, String to) {
        Integer best = null;
        for (int p : held.get(from)) {
            List<String> kept = placed.get(p);
            if (kept.contains(to)) {
                continue;
            }
            if (zoned && !keepsZoneSpread(kept, from, to)) {
                continue;
            }
            long bytes = partitions.get(p).bytes();
            if (best == null || bytes < partitions.get(best).bytes()
                || (bytes == partitions.get(best).bytes() && scatter(p, to) < scatter(best, to))) {
                best = p;
            }
        }
        return best;
    }

    /**
     * The least loaded node that may take partition {@code p}, preferring a zone it lacks; null if
     * none. Among equally loaded nodes the choice is scattered by a hash of partition and node, so
     * the partitions of one node have their other replicas all over the cluster: when it leaves,
     * every node takes a share of its replicas (and copies them in parallel).
     */
    private String bestTarget(int p, String replacing) {
        List<String> kept = new ArrayList<>(placed.get(p));
        if (replacing != null) {
            kept.remove(replacing);
        }
        Set<String> usedZones = new HashSet<>();
        for (String id : kept) {
            usedZones.add(eligible.get(id).zone());
        }
        String best = null;
        String fallback = null;
        int bestLoad = -1; // the least load among feasible nodes
        int fallbackLoad = -1;
        // Laying out a partition from nothing (bootstrap) may use nodes one above the least loaded,
        // so replica sets mix; the balance step evens the counts afterwards.
        int slack = kept.isEmpty() && replacing == null ? 1 : 0;
        for (String candidate : byLoad) {
            int load = held.get(candidate).size();
            if (placed.get(p).contains(candidate)) {
                continue;
            }
            if (best != null && load > bestLoad + slack) {
                break;
            }
            if (!zoned || !usedZones.contains(eligible.get(candidate).zone())) {
                if (best == null) {
                    bestLoad = load;
                }
                if (best == null || scatter(p, candidate) < scatter(p, best)) {
                    best = candidate;
                }
            } else if (fallback == null || (load == fallbackLoad && scatter(p, candidate) < scatter(p, fallback))) {
                fallback = candidate;
                fallbackLoad = load;
            }
        }
        if (best != null) {
            return best;
        }
        // Every zone is taken: any node will do, unless this was a zone repair (it would change nothing).
        return replacing == null ? fallback : null;
    }

    private static long scatter(int p, String node) {
        long h = (p * 0x9E3779B97F4A7C15L) ^ node.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }

    /** Whether some partition on {@code from} could move to another zone without losing zone spread. */
    private boolean mayLeaveZone(String from) {
        String fromZone = eligible.get(from).zone();
        for (int p : held.get(from)) {
            List<String> kept = placed.get(p);
            int sameAsFrom = 0;
            for (String id : kept) {
                sameAsFrom += eligible.get(id).zone().equals(fromZone) ? 1 : 0;
            }
            if (sameAsFrom > 1 || distinctZones(kept) < zoneCount) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether replacing {@code from} by {@code to} leaves a partition in at least as many zones:
     * true unless {@code from} was its only replica in its zone and {@code to}'s zone is taken.
     */
    private boolean keepsZoneSpread(List<String> kept, String from, String to) {
        String fromZone = eligible.get(from).zone();
        String toZone = eligible.get(to).zone();
        if (fromZone.equals(toZone)) {
            return true;
        }
        int sameAsFrom = 0;
        boolean toZoneTaken = false;
        for (String id : kept) {
            String zone = eligible.get(id).zone();
            sameAsFrom += zone.equals(fromZone) ? 1 : 0;
            toZoneTaken |= zone.equals(toZone);
        }
        return sameAsFrom > 1 || !toZoneTaken;
    }

    private String duplicateZoneReplica(List<String> kept) {
        Set<String> seen = new HashSet<>();
        String duplicate = null;
        for (String id : kept) {
            if (!seen.add(eligible.get(id).zone())) {
                if (duplicate == null || loadOrder().compare(id, duplicate) > 0) {
                    duplicate = id;
                }
            }
        }
        return duplicate;
    }

    private int distinctZones(List<String> ids) {
        Set<String> zones = new HashSet<>();
        for (String id : ids) {
            zones.add(eligible.get(id).zone());
        }
        return zones.size();
    }

    private Comparator<String> loadOrder() {
        return Comparator.comparingInt((String id) -> held.get(id).size()).thenComparing(Comparator.naturalOrder());
    }

    private void assign(int p, String node) {
        byLoad.remove(node);
        held.get(node).add(p);
        placed.get(p).add(node);
        byLoad.add(node);
    }

    private void unassign(int p, String node) {
        byLoad.remove(node);
        held.get(node).remove(p);
        placed.get(p).remove(node);
        byLoad.add(node);
    }

    /** Replicas of the {@code i}-th partition once the plan is done. */
    List<String> finalReplicas(int i) {
        return placed.get(i);
    }

    /** The moves from where replicas are now to the solved placement, each source paired with a target. */
    List<Operator> moves() {
        List<Operator> moves = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            PartitionView p = partitions.get(i);
            List<String> target = placed.get(i);
            List<String> leaving = new ArrayList<>();
            for (String id : p.replicas()) {
                if (!target.contains(id) && !leaving.contains(id)) {
                    leaving.add(id);
                }
            }
            List<String> arriving = new ArrayList<>();
            for (String id : target) {
                if (!p.replicas().contains(id)) {
                    arriving.add(id);
                }
            }
            // Ineligible sources first: those are the replicas that must go.
            leaving.sort(Comparator.comparing((String id) -> eligible.containsKey(id)).thenComparing(id -> id));
            int pairs = Math.max(leaving.size(), arriving.size());
            for (int k = 0; k < pairs; k++) {
                String from = k < leaving.size() ? leaving.get(k) : "";
                String to = k < arriving.size() ? arriving.get(k) : "";
                moves.add(new MoveReplica(p.partitionId(), from, to, p.bytes()));
            }
        }
        return moves;
    }
}
