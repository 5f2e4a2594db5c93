package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shardgrid.client.GridAdminClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-vote at work: a node cut off from the others for several election timeouts must come back
 * without raising any partition's term and without deposing a leader. Without pre-vote the cut-off
 * follower would time out, start election after election in ever higher terms, and on its return
 * its higher term would make every leader of the partitions it follows step down.
 *
 * <p>Three real {@code grid server} processes, each in its own network namespace (needs root, as the
 * chaos partition fault does), automatic placement off so no leader moves by itself. The isolated
 * node follows some partitions and leads others (one is moved to it first if it leads none): the
 * partitions it follows keep their leader and term; those it led elect a new leader among the others.
 */
class IsolatedNodeRejoinIT {
    private static final Pattern SAMPLE = Pattern.compile(
        "^(shardgrid_raft_term|shardgrid_partition_leader)\\{partition=\"(\\d+)\"} ([0-9.Ee+-]+)$");
    private static final int NODES = 3;
    private static final int PARTITIONS = 8;
    /** Four times the 2 s maximum election timeout: without pre-vote the follower would run several elections. */
    private static final Duration ISOLATION = Duration.ofSeconds(8);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * Per partition, the leading node (0 if not exactly one node leads it) and each node's term
     * (node i at index i - 1; -1 when the node did not answer).
     */
    record RaftView(Map<Integer, Integer> leaders, Map<Integer, List<Long>> terms) {
        /** Every partition led by exactly one node, and every node in the same term for it. */
        boolean settled() {
            for (int p = 0; p < PARTITIONS; p++) {
                if (leaders.getOrDefault(p, 0) == 0 || terms.get(p).contains(-1L)
                    || terms.get(p).stream().distinct().count() != 1) {
                    return false;
                }
            }
            return true;
        }

        long term(int p) {
            return terms.get(p).get(0);
        }

        long termOf(int p, int node) {
            return terms.get(p).get(node - 1);
        }
    }

    @Test
    void anIsolatedNodeRejoinsWithoutRaisingTermsOrDeposingLeaders() throws Exception {
        Random random = new Random(Long.getLong("chaos.seed", 11L));
        NetnsNetwork net = NetnsNetwork.create(NODES, random);
        assumeTrue(net != null, "needs root and iproute2 for network namespaces (CI runs as root)");
        try (net; ProcessCluster cluster = new ProcessCluster(dir, NODES, PARTITIONS, random)) {
            cluster.network(net);
            cluster.serverArgs(List.of("--placement-interval", "0"));
            cluster.start(Duration.ofSeconds(120));
            RaftView initial = awaitSettled(cluster, Duration.ofSeconds(60));

            // The victim: a node that leads the fewest partitions, given the lead of one more.
            int victim = 1;
            for (int i = 2; i <= NODES; i++) {
                if (led(initial, i) < led(initial, victim)) {
                    victim = i;
                }
            }
            if (led(initial, victim) == 0) {
                try (GridAdminClient admin = GridAdminClient.builder().seeds(cluster.grpcAddresses())
                        .token(cluster.adminToken()).build()) {
                    var answer = admin.transferLeader(0, cluster.nodeId(victim));
                    assertThat(answer.hasError()).as("transfer leader: %s", answer.getError()).isFalse();
                }
                awaitLeader(cluster, 0, victim, Duration.ofSeconds(30));
            }
            RaftView before = awaitSettled(cluster, Duration.ofSeconds(30));
            int victimNode = victim;
            Set<Integer> ledByVictim = before.leaders().entrySet().stream().filter(e -> e.getValue() == victimNode)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
            assertThat(ledByVictim).as("partitions the victim leads").isNotEmpty();
            assertThat(ledByVictim).as("partitions the victim follows").hasSizeLessThan(PARTITIONS);
            // Unchanged for longer than an election timeout: no election in progress.
            assertUnchangedFor(cluster, before, "terms before the cut");

            net.isolate(victim);
            RaftView during;
            try {
                // Cut off for the whole window, the victim's terms stay where they were (pre-vote).
                await().during(ISOLATION).atMost(ISOLATION.plusSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        RaftView now = view(cluster);
                        for (int p = 0; p < PARTITIONS; p++) {
                            assertThat(now.termOf(p, victimNode)).as("partition %d: the cut-off node's term", p)
                                .isEqualTo(before.term(p));
                        }
                    });
                during = view(cluster);
            } finally {
                net.heal(victim);
            }
            for (int i = 1; i <= NODES; i++) {
                cluster.awaitReady(i, Duration.ofSeconds(60));
            }
            RaftView after = awaitSettled(cluster, Duration.ofSeconds(30));
            // Several heartbeats after the heal: a late step-down would show within this window.
            assertUnchangedFor(cluster, after, "no election after the cluster settled again");

            String context = "victim node" + victim + "; before " + describe(before) + "; during " + describe(during)
                + "; after " + describe(after);
            for (int p = 0; p < PARTITIONS; p++) {
                long victimTermDuring = during.termOf(p, victim);
                assertThat(victimTermDuring).as("partition %d: the cut-off node's term while isolated (%s)", p,
                    context).isEqualTo(before.term(p));
                if (ledByVictim.contains(p)) {
                    assertThat(after.leaders().get(p)).as("partition %d: a new leader among the others (%s)", p,
                        context).isNotEqualTo(victim);
                    assertThat(after.term(p)).as("partition %d: term after the new election (%s)", p, context)
                        .isGreaterThan(before.term(p));
                } else {
                    assertThat(after.leaders().get(p)).as("partition %d: leader kept (%s)", p, context)
                        .isEqualTo(before.leaders().get(p));
                    assertThat(after.term(p)).as("partition %d: term kept (%s)", p, context)
                        .isEqualTo(before.term(p));
                }
            }
        }
    }

    private static int led(RaftView view, int node) {
        return (int) view.leaders().values().stream().filter(l -> l == node).count();
    }

    /** Polls the nodes for 3 s (more than an election timeout); every view must equal {@code expected}. */
    private void assertUnchangedFor(ProcessCluster cluster, RaftView expected, String what) {
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
            .untilAsserted(() -> assertThat(view(cluster)).as(what).isEqualTo(expected));
    }

    private RaftView awaitSettled(ProcessCluster cluster, Duration timeout) throws InterruptedException {
        try {
            return await().atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> view(cluster), RaftView::settled);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not settled within " + timeout.toSeconds() + " s: " + describe(view(cluster))
                + "\n" + cluster.dump(20), e);
        }
    }

    private void awaitLeader(ProcessCluster cluster, int partition, int node, Duration timeout)
        throws InterruptedException {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> view(cluster), v -> v.leaders().getOrDefault(partition, 0) == node);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("partition " + partition + " not led by node" + node + " within "
                + timeout.toSeconds() + " s: " + describe(view(cluster)), e);
        }
    }

    /** Reads every node's /metrics: terms and leaders per partition (a node that does not answer counts as term -1). */
    private RaftView view(ProcessCluster cluster) throws InterruptedException {
        Map<Integer, Integer> leaders = new HashMap<>();
        Map<Integer, List<Long>> terms = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            terms.put(p, new ArrayList<>(Collections.nCopies(NODES, -1L)));
        }
        for (int i = 1; i <= NODES; i++) {
            String text;
            try {
                text = http.send(HttpRequest.newBuilder(URI.create("http://" + cluster.host(i) + ":"
                        + cluster.httpPort(i) + "/metrics")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) {
                text = "";
            }
            for (String line : text.split("\n")) {
                Matcher m = SAMPLE.matcher(line.trim());
                if (!m.matches()) {
                    continue;
                }
                int p = Integer.parseInt(m.group(2));
                long value = (long) Double.parseDouble(m.group(3));
                if (m.group(1).equals("shardgrid_raft_term")) {
                    terms.computeIfAbsent(p, k -> new ArrayList<>(Collections.nCopies(NODES, -1L))).set(i - 1, value);
                } else if (value == 1) {
                    leaders.merge(p, i, (a, b) -> 0); // two nodes claiming it: not settled
                }
            }
        }
        return new RaftView(leaders, terms);
    }

    private static String describe(RaftView v) {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < PARTITIONS; p++) {
            b.append(" p").append(p).append(" leader node").append(v.leaders().getOrDefault(p, 0)).append(" terms")
                .append(v.terms().get(p));
        }
        return b.toString();
    }
}
