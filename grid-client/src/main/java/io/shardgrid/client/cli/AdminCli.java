package io.shardgrid.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.shardgrid.client.GridAdminClient;
import io.shardgrid.common.routing.HashRange;
import io.shardgrid.proto.v1.ClusterStatusResponse;
import io.shardgrid.proto.v1.ListNodesResponse;
import io.shardgrid.proto.v1.ListPartitionsResponse;
import io.shardgrid.proto.v1.NodeInfo;
import io.shardgrid.proto.v1.Operator;
import io.shardgrid.proto.v1.OperatorResponse;
import io.shardgrid.proto.v1.PartitionInfo;
import io.shardgrid.proto.v1.RebalanceResponse;
import io.shardgrid.proto.v1.SplitResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bin/grid admin}: cluster administration over the token-guarded admin API. Every command
 * is sent to the meta group's leader (found through any seed), since only it hears every node's
 * heartbeats and runs placement. Tables by default, {@code --json} for machines.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    subcommands = {AdminCli.Status.class, AdminCli.Nodes.class, AdminCli.Partitions.class, AdminCli.Rebalance.class,
        AdminCli.Move.class, AdminCli.TransferLeader.class, AdminCli.Split.class, AdminCli.Drain.class,
        AdminCli.Remove.class},
    description = "Cluster administration: status, nodes, partitions, rebalance, move, transfer-leader, split, drain,"
        + " remove.")
final class AdminCli {
    /** Where {@code bin/grid local-cluster} keeps the token it generated. */
    static final Path LOCAL_CLUSTER_TOKEN = Path.of("local-cluster", "admin-token");

    @ParentCommand
    GridCli parent;

    @Option(names = "--token", scope = CommandLine.ScopeType.INHERIT,
        description = "Admin token (default: env SHARDGRID_ADMIN_TOKEN, else local-cluster/admin-token).")
    String token;

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT, description = "Print JSON instead of a table.")
    boolean json;

    PrintWriter out() {
        return parent.spec.commandLine().getOut();
    }

    String token() {
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        String env = System.getenv("SHARDGRID_ADMIN_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return Files.exists(LOCAL_CLUSTER_TOKEN)
                ? Files.readString(LOCAL_CLUSTER_TOKEN, StandardCharsets.UTF_8).trim() : "";
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + LOCAL_CLUSTER_TOKEN + ": " + e.getMessage());
        }
    }

    /** Runs {@code call} with an admin client for the seeds, timeout and token given on the command line. */
    <T> T call(Function<GridAdminClient, T> call) {
        try (GridAdminClient client = GridAdminClient.builder().seeds(parent.seeds).token(token())
                .timeout(Duration.ofMillis(GridCli.parseMs(parent.timeout))).tls(parent.tlsCa)
                .mtls(parent.tlsCert, parent.tlsKey).build()) {
            return call.apply(client);
        }
    }

    /** Prints {@code message} as JSON when asked to; returns whether it did. */
    boolean printedJson(MessageOrBuilder message) {
        if (!json) {
            return false;
        }
        try {
            out().println(JsonFormat.printer().print(message));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        return true;
    }

    void printNodes(List<NodeInfo> nodes) {
        out().printf("%-12s %-9s %-8s %8s %8s  %-22s%n", "NODE", "STATE", "ZONE", "REPLICAS", "LEADERS", "GRPC");
        for (NodeInfo n : nodes) {
            out().printf("%-12s %-9s %-8s %8d %8d  %-22s%n", n.getAddress().getNodeId(), state(n),
                n.getZone().isEmpty() ? "-" : n.getZone(), n.getReplicaCount(), n.getLeaderCount(),
                n.getAddress().getGrpcAddress());
        }
    }

    private static String state(NodeInfo n) {
        return switch (n.getState()) {
            case UP -> "up";
            case DOWN -> "down";
            case DRAINING -> "draining";
            case REMOVED -> "removed";
            default -> "?";
        };
    }

    void printOperators(List<Operator> ops) {
        if (ops.isEmpty()) {
            out().println("(none)");
            return;
        }
        out().printf("%-9s %-16s %-12s %-12s %-9s %12s  %s%n", "PARTITION", "OPERATOR", "FROM", "TO", "STATE", "BYTES",
            "WHY");
        for (Operator op : ops) {
            out().printf("%-9d %-16s %-12s %-12s %-9s %12d  %s%n", op.getPartitionId(),
                op.getKind().name().toLowerCase(Locale.ROOT).replace('_', '-'), dash(op.getFromNodeId()), dash(op.getToNodeId()),
                op.getState().name().toLowerCase(Locale.ROOT), op.getBytesToCopy(), dash(op.getDetail()));
        }
    }

    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    @Command(name = "status", description = "Nodes, replicas and leaders per node, operators (moves, transfers) in flight, map epoch.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Override
        public Integer call() {
            ClusterStatusResponse s = admin.call(GridAdminClient::status);
            if (admin.printedJson(s)) {
                return 0;
            }
            admin.out().printf("map epoch %d, %d partitions, replication %d, meta leader %s%n%n", s.getMapEpoch(),
                s.getPartitionCount(), s.getReplicationFactor(), dash(s.getMetaLeaderNodeId()));
            admin.printNodes(s.getNodesList());
            if (s.getLeaderlessPartitions() > 0) {
                admin.out().printf("%npartitions without a leader (election running): %d%n", s.getLeaderlessPartitions());
            }
            admin.out().printf("%noperators in flight: %d%n", s.getOperatorsInFlightCount());
            if (s.getOperatorsInFlightCount() > 0) {
                admin.printOperators(s.getOperatorsInFlightList());
            }
            return 0;
        }
    }

    @Command(name = "nodes", description = "Every node with its state, zone, replica and leader counts.")
    static final class Nodes implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Override
        public Integer call() {
            ListNodesResponse r = admin.call(GridAdminClient::nodes);
            if (!admin.printedJson(r)) {
                admin.printNodes(r.getNodesList());
            }
            return 0;
        }
    }

    /** A hash range as {@code grid map} prints it: its first and last hash, in hex. */
    static String hashRange(io.shardgrid.proto.v1.HashRange r) {
        return new HashRange(r.getPrefixBits(), r.getPrefix()).toString();
    }

    @Command(name = "partitions", description = "Every partition with its leader, hash range, replicas, learners and"
        + " the answering node's memory use.")
    static final class Partitions implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Option(names = "--node", description = "Only partitions with a replica on this node.")
        String node = "";

        @Override
        public Integer call() {
            ListPartitionsResponse r = admin.call(c -> c.partitions(node));
            if (admin.printedJson(r)) {
                return 0;
            }
            admin.out().printf("%-9s %-12s %-36s %-26s %-12s %10s %12s %12s %10s %10s%n", "PARTITION", "LEADER",
                "HASH-RANGE", "REPLICAS", "LEARNERS", "KEYS", "LIVE-BYTES", "ALLOC-BYTES", "EXPIRED", "EVICTED");
            for (PartitionInfo p : r.getPartitionsList()) {
                admin.out().printf("%-9d %-12s %-36s %-26s %-12s %10d %12d %12d %10d %10d%n", p.getPartitionId(),
                    dash(p.getLeaderNodeId()), p.hasRange() ? hashRange(p.getRange()) : "-",
                    String.join(",", p.getReplicaNodeIdsList()),
                    dash(String.join(",", p.getLearnerNodeIdsList())), p.getKeys(), p.getLiveBytes(),
                    p.getAllocatedBytes(), p.getExpiredCount(), p.getEvictedCount());
            }
            return 0;
        }
    }

    @Command(name = "rebalance", description = "Plan (--dry-run) or start the moves that balance replicas and leaders.")
    static final class Rebalance implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Option(names = "--dry-run", description = "Only print the planned moves and the bytes they would copy.")
        boolean dryRun;

        @Override
        public Integer call() {
            RebalanceResponse r = admin.call(c -> c.rebalance(dryRun));
            if (admin.printedJson(r)) {
                return 0;
            }
            admin.out().printf("%s %d operators, %d bytes to copy%n", dryRun ? "planned" : "started",
                r.getOperatorsCount(), r.getBytesToCopy());
            admin.printOperators(r.getOperatorsList());
            return 0;
        }
    }

    @Command(name = "move", description = "Move one replica of PARTITION from one node to another.")
    static final class Move implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Option(names = "--from", description = "Node losing the replica (omit to only add one).")
        String from = "";

        @Option(names = "--to", description = "Node getting the replica (omit to only remove one).")
        String to = "";

        @Override
        public Integer call() {
            OperatorResponse r = admin.call(c -> c.move(partition, from, to));
            if (!admin.printedJson(r)) {
                admin.printOperators(r.getOperatorsList());
            }
            return 0;
        }
    }

    @Command(name = "transfer-leader", description = "Move leadership of PARTITION to another of its replicas.")
    static final class TransferLeader implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Option(names = "--to", required = true, description = "The replica's node that should lead.")
        String to;

        @Override
        public Integer call() {
            OperatorResponse r = admin.call(c -> c.transferLeader(partition, to));
            if (!admin.printedJson(r)) {
                admin.printOperators(r.getOperatorsList());
            }
            return 0;
        }
    }

    @Command(name = "split", description = "Split PARTITION online: it keeps the lower half of its hash range, a new"
        + " partition on the same replicas takes the upper half.")
    static final class Split implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Override
        public Integer call() {
            SplitResponse r = admin.call(c -> c.split(partition));
            if (!admin.printedJson(r)) {
                admin.out().printf("partition %d split at map epoch %d: p%d owns %s, p%d owns %s%n", r.getPartitionId(),
                    r.getMapEpoch(), r.getPartitionId(), hashRange(r.getRange()), r.getChildPartitionId(),
                    hashRange(r.getChildRange()));
            }
            return 0;
        }
    }

    @Command(name = "drain", description = "Move every replica and leader off NODE (it stays in the cluster, empty).")
    static final class Drain implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        @Override
        public Integer call() {
            OperatorResponse r = admin.call(c -> c.drain(node));
            if (!admin.printedJson(r)) {
                admin.out().printf("%s is draining; planned:%n", node);
                admin.printOperators(r.getOperatorsList());
            }
            return 0;
        }
    }

    @Command(name = "remove", description = "Forget a drained NODE.")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        AdminCli admin;

        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        @Override
        public Integer call() {
            admin.call(c -> {
                c.remove(node);
                return null;
            });
            if (!admin.printedJson(OperatorResponse.getDefaultInstance())) {
                admin.out().printf("%s removed%n", node);
            }
            return 0;
        }
    }
}
