package io.shardgrid.server.placement.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The leader half of a plan: every partition led by one of its replicas on an eligible node, and
 * leader counts per eligible node within one of each other where the replica sets allow it, with
 * the fewest transfers. Only replicas that hold the partition now and keep it are chosen, so a
 * transfer can run at once, before any replica move.
 */
final class LeaderBalancer {
    private final Map<String, Integer> leads = new HashMap<>();
    private final TreeSet<String> byLeads;

    LeaderBalancer(List<NodeView> eligible) {
        for (NodeView n : eligible) {
            leads.put(n.nodeId(), 0);
        }
        this.byLeads = new TreeSet<>(Comparator.comparingInt((String id) -> leads.get(id))
            .thenComparing(Comparator.naturalOrder()));
        byLeads.addAll(leads.keySet());
    }

    List<Operator> transfers(List<PartitionView> partitions, ReplicaPlacement placement) {
        int count = partitions.size();
        String[] leader = new String[count];
        List<List<String>> candidates = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            PartitionView p = partitions.get(i);
            List<String> stay = new ArrayList<>();
            for (String id : placement.finalReplicas(i)) {
                if (p.replicas().contains(id)) {
                    stay.add(id);
                }
            }
            candidates.add(stay);
            // Unknown leaders are left alone (an election is running) and count for nobody.
            if (!p.leader().isEmpty() && leads.containsKey(p.leader()) && stay.contains(p.leader())) {
                leader[i] = p.leader();
                add(p.leader(), 1);
            }
        }
        // Partitions whose leader is leaving go to the least-leading replica that stays.
        for (int i = 0; i < count; i++) {
            PartitionView p = partitions.get(i);
            if (leader[i] == null && !p.leader().isEmpty() && !candidates.get(i).isEmpty()) {
                String to = candidates.get(i).stream().min(Comparator.comparingInt((String id) -> leads.get(id))
                    .thenComparing(Comparator.naturalOrder())).orElseThrow();
                leader[i] = to;
                add(to, 1);
            }
        }
        while (leads.get(byLeads.last()) - leads.get(byLeads.first()) > 1 && moveOne(partitions, leader, candidates)) {
            // each round moves one leadership from a busiest node
        }
        List<Operator> transfers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            PartitionView p = partitions.get(i);
            if (leader[i] != null && !leader[i].equals(p.leader())) {
                transfers.add(new TransferLeader(p.partitionId(), p.leader(), leader[i]));
            }
        }
        return transfers;
    }

    /**
     * Moves one leadership off the busiest node that can shed one: straight to a replica that leads
     * at least two fewer, else along a chain (A's partition to B, B's to C, ...) found breadth-first,
     * one transfer per link. Returns false when no node can shed a leadership.
     */
    private boolean moveOne(List<PartitionView> partitions, String[] leader, List<List<String>> candidates) {
        Map<String, List<Integer>> led = new HashMap<>();
        for (int i = 0; i < leader.length; i++) {
            if (leader[i] != null) {
                led.computeIfAbsent(leader[i], k -> new ArrayList<>()).add(i);
            }
        }
        int most = leads.get(byLeads.last());
        // Only the busiest nodes: if none of them can shed a leadership, the spread cannot shrink.
        for (String from : new ArrayList<>(byLeads.descendingSet())) {
            int fromLeads = leads.get(from);
            if (fromLeads < most) {
                break;
            }
            Map<String, Integer> via = new HashMap<>();
            Map<String, String> previous = new HashMap<>();
            ArrayDeque<String> queue = new ArrayDeque<>(List.of(from));
            previous.put(from, null);
            while (!queue.isEmpty()) {
                String u = queue.poll();
                for (int i : led.getOrDefault(u, List.of())) {
                    for (String v : candidates.get(i)) {
                        if (previous.containsKey(v) || !leads.containsKey(v)) {
                            continue;
                        }
                        previous.put(v, u);
                        via.put(v, i);
                        if (leads.get(v) <= fromLeads - 2) {
                            shift(v, previous, via, leader);
                            return true;
                        }
                        queue.add(v);
                    }
                }
            }
        }
        return false;
    }

    /** Moves each leadership on the chain ending at {@code end} one link forward. */
    private void shift(String end, Map<String, String> previous, Map<String, Integer> via, String[] leader) {
        String v = end;
        add(end, 1);
        while (previous.get(v) != null) {
            String u = previous.get(v);
            leader[via.get(v)] = v;
            v = u;
        }
        add(v, -1);
    }

    private void add(String node, int delta) {
        byLeads.remove(node);
        leads.merge(node, delta, Integer::sum);
        byLeads.add(node);
    }
}
