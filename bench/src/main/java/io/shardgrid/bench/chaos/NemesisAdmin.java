package io.shardgrid.bench.chaos;

import io.shardgrid.client.GridAdminClient;
import io.shardgrid.client.GridClient;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.proto.v1.OperatorResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What the nemesis asks of the admin API (leader transfers, and the waits for moves and splits to
 * settle), each call on a fresh {@link GridAdminClient}: the nemesis keeps killing the nodes a
 * long-lived client would be connected to.
 */
final class NemesisAdmin {
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ProcessCluster cluster;
    /** The workload's client, whose map (kept fresh by its watch) shows what the cluster recorded. */
    private final GridClient maps;
    private final Random random;
    private final Duration readyTimeout;

    NemesisAdmin(ProcessCluster cluster, GridClient maps, Random random, Duration readyTimeout) {
        this.cluster = cluster;
        this.maps = maps;
        this.random = random;
        this.readyTimeout = readyTimeout;
    }

    /** Waits (up to the ready timeout) until the client's map holds one more partition and no split in flight. */
    String awaitSplitRecorded(int partitionsBefore) throws InterruptedException {
        long startNs = System.nanoTime();
        long deadlineNs = startNs + readyTimeout.toNanos();
        while (System.nanoTime() < deadlineNs) {
            var map = maps.partitionMap();
            if (map.partitionCount() > partitionsBefore && map.splitting().isEmpty()) {
                return String.format(Locale.ROOT, "split recorded %.1f s after ready, %d partitions",
                    (System.nanoTime() - startNs) / 1e9, map.partitionCount());
            }
            Thread.sleep(250);
        }
        return "split not recorded within " + readyTimeout.toSeconds() + " s after the cluster was ready";
    }

    /** Waits (up to the ready timeout) until the meta leader reports no operator in flight. */
    String awaitNoOperators() throws InterruptedException {
        long startNs = System.nanoTime();
        long deadlineNs = startNs + readyTimeout.toNanos();
        while (System.nanoTime() < deadlineNs) {
            try (GridAdminClient admin = client()) {
                if (admin.status().getOperatorsInFlightCount() == 0) {
                    return String.format(Locale.ROOT, "operators done %.1f s after ready", (System.nanoTime() - startNs) / 1e9);
                }
            } catch (RuntimeException e) {
                // meta leader moving: ask again
            }
            Thread.sleep(250);
        }
        return "operators still in flight after " + readyTimeout.toSeconds() + " s";
    }

    /** Asks for the leadership of a partition that {@code node} replicates; says what happened. */
    String askToLead(String node) {
        List<PartitionAssignment> held = maps.partitionMap().partitions().stream()
            .filter(p -> p.replicas().contains(node) && !node.equals(p.leaderHint())).toList();
        if (held.isEmpty()) {
            return "already leads every partition it holds";
        }
        PartitionAssignment p = held.get(random.nextInt(held.size()));
        try (GridAdminClient admin = client()) {
            OperatorResponse r = admin.transferLeader(p.partitionId(), node);
            if (r.hasError() && r.getError().getCodeValue() != 0) {
                return "leader transfer of p" + p.partitionId() + " refused: " + r.getError().getCode();
            }
            return "asked to lead p" + p.partitionId();
        } catch (RuntimeException e) {
            return "leader transfer of p" + p.partitionId() + " failed: " + e.getMessage();
        }
    }

    /**
     * An admin client for one call: fresh connections each time, since the nemesis keeps killing and
     * restarting the nodes a long-lived one would be connected to.
     */
    GridAdminClient client() {
        return GridAdminClient.builder().seeds(cluster.grpcAddresses()).token(cluster.adminToken())
            .timeout(TIMEOUT).build();
    }
}
