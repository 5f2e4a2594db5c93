package io.shardgrid.client.cli;

import io.shardgrid.client.GridClient;
import io.shardgrid.client.GridClientConfig;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.routing.NodeDescriptor;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.time.DurationText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The client side of {@code bin/grid}: {@code get}, {@code set}, {@code del} and {@code map}
 * through the smart client, and {@code admin} through the admin API. Exit codes: 0 ok, 1 key not found, 2 bad usage or input, 3 the cluster
 * failed the call.
 */
@Command(name = "grid", mixinStandardHelpOptions = true,
    subcommands = {GridCli.Get.class, GridCli.Set.class, GridCli.Del.class, GridCli.MapCommand.class,
        AdminCli.class},
    description = "Shardgrid client commands.")
public final class GridCli {
    static final int NOT_FOUND = 1;
    static final int BAD_INPUT = 2;
    static final int FAILED = 3;

    @Option(names = "--seeds", split = ",", scope = CommandLine.ScopeType.INHERIT,
        description = "gRPC addresses of any nodes (default: the local cluster, 127.0.0.1:9091-9093).")
    List<String> seeds = GridClientConfig.LOCAL_CLUSTER;

    @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT,
        description = "Deadline per call, e.g. 5s, 500ms (default: 5s).")
    String timeout = "5s";

    @Option(names = "--tls-ca", scope = CommandLine.ScopeType.INHERIT,
        description = "CA (PEM) of nodes that run TLS; talks TLS to them.")
    Path tlsCa;

    @Option(names = "--tls-cert", scope = CommandLine.ScopeType.INHERIT,
        description = "Client certificate (PEM) for nodes that require one.")
    Path tlsCert;

    @Option(names = "--tls-key", scope = CommandLine.ScopeType.INHERIT, description = "The client certificate's key (PEM).")
    Path tlsKey;

    @Option(names = "--client-token", scope = CommandLine.ScopeType.INHERIT, defaultValue = "${env:SHARDGRID_CLIENT_TOKEN}",
        description = "The cluster's client token, if its nodes have one (env SHARDGRID_CLIENT_TOKEN).")
    String clientToken;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command; returns its exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new GridCli());
        cli.setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof GridException g) {
                commandLine.getErr().println(g.getMessage());
                return g.code() == GridErrorCode.INVALID_ARGUMENT ? BAD_INPUT : FAILED;
            }
            if (e instanceof IllegalArgumentException) {
                commandLine.getErr().println(e.getMessage());
                return BAD_INPUT;
            }
            commandLine.getErr().println("error: " + e);
            return FAILED;
        });
        return cli.execute(args);
    }

    GridClient connect() {
        return GridClient.builder().seeds(seeds).timeout(Duration.ofMillis(parseMs(timeout))).tls(tlsCa)
            .mtls(tlsCert, tlsKey).clientToken(clientToken).build();
    }

    static long parseMs(String text) {
        try {
            return DurationText.parseMs(text, TimeUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' " + e.getMessage());
        }
    }

    @Command(name = "get", description = "Print the value of KEY (exit 1 if absent).")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        GridCli parent;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            try (GridClient client = parent.connect()) {
                Optional<String> value = client.sync().get(key);
                if (value.isEmpty()) {
                    parent.spec.commandLine().getErr().println("not found");
                    return NOT_FOUND;
                }
                parent.spec.commandLine().getOut().println(value.get());
                return 0;
            }
        }
    }

    @Command(name = "set", description = "Set KEY to VALUE.")
    static final class Set implements Callable<Integer> {
        @ParentCommand
        GridCli parent;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Option(names = "--ttl", description = "Expire after this long, e.g. 30s, 5m (default: never).")
        String ttl = "0";

        @Override
        public Integer call() {
            long ttlMs = parseMs(ttl);
            try (GridClient client = parent.connect()) {
                client.sync().set(key, value, Duration.ofMillis(ttlMs));
                parent.spec.commandLine().getOut().println("ok");
                return 0;
            }
        }
    }

    @Command(name = "del", description = "Delete KEY (exit 1 if it was absent).")
    static final class Del implements Callable<Integer> {
        @ParentCommand
        GridCli parent;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            try (GridClient client = parent.connect()) {
                boolean deleted = client.sync().delete(key);
                parent.spec.commandLine().getOut().println(deleted ? "deleted" : "not found");
                return deleted ? 0 : NOT_FOUND;
            }
        }
    }

    @Command(name = "map", description = "Print the partition map: nodes, then each partition's leader and replicas.")
    static final class MapCommand implements Callable<Integer> {
        @ParentCommand
        GridCli parent;

        @Override
        public Integer call() {
            try (GridClient client = parent.connect()) {
                PartitionMap map = client.partitionMap();
                PrintWriter out = parent.spec.commandLine().getOut();
                out.printf("map epoch %d, %d partitions, replication %d%n%n", map.epoch(), map.partitionCount(),
                    map.replicationFactor());
                out.printf("%-12s %-22s %-22s %-22s%n", "NODE", "GRPC", "HTTP", "RAFT");
                for (NodeDescriptor n : map.nodes().values()) {
                    out.printf("%-12s %-22s %-22s %-22s%n", n.nodeId(), n.grpcAddress(), n.httpAddress(), n.raftAddress());
                }
                out.printf("%n%-10s %-12s %-12s %-36s %s%n", "PARTITION", "LEADER", "CONF-EPOCH", "HASH-RANGE",
                    "REPLICAS");
                for (PartitionAssignment p : map.partitions()) {
                    String range = p.splitting() ? "(splitting off " + p.splitParent() + ")" : p.range().toString();
                    out.printf("%-10d %-12s %-12d %-36s %s%n", p.partitionId(),
                        p.hasLeaderHint() ? p.leaderHint() : "-", p.confEpoch(), range, String.join(",", p.replicas()));
                }
                return 0;
            }
        }
    }
}
