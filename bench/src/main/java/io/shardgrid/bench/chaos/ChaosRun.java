package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Nemesis.Fault;
import io.shardgrid.bench.chaos.Nemesis.FaultEvent;
import io.shardgrid.client.GridClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One chaos run: start a {@link ProcessCluster}, run a {@link ChaosWorkload} against it while the
 * {@link Nemesis} injects faults in turn (healing between them), stop the faults, read every key
 * back, and check the whole history with the {@link LinearizabilityChecker}.
 *
 * <pre>
 *   start cluster ─ clients start ─ quiet ─ fault 1 ─ heal+ready ─ quiet ─ fault 2 … ─ clients stop ─ final reads ─ check
 * </pre>
 */
final class ChaosRun {
    /**
     * @param duration     how long faults keep coming (the run then finishes the fault in progress)
     * @param dir          logs and data; a fresh temporary directory when null
     * @param registerKeys keys for get/set/delete/compare-and-set
     * @param counterKeys  keys for get/increment/delete
     */
    record Options(Duration duration, int nodes, int partitions, List<Fault> faults, long seed, int clients,
                   int registerKeys, int counterKeys, Path dir, Duration quiet, Duration readyTimeout) {
        Options {
            faults = List.copyOf(faults);
            if (faults.isEmpty()) {
                throw new IllegalArgumentException("at least one fault is required");
            }
            if (clients < 1 || registerKeys + counterKeys < 1) {
                throw new IllegalArgumentException("clients " + clients + " and keys " + (registerKeys + counterKeys)
                    + " must be positive");
            }
            if (nodes < 3) {
                throw new IllegalArgumentException("nodes " + nodes + " must be at least 3: a fault takes one away");
            }
        }
    }

    /** Node start-up is slow on a loaded machine: the first start gets at least this long. */
    private static final Duration CLUSTER_START_TIMEOUT = Duration.ofSeconds(150);
    private final Options options;
    private final PrintStream out;

    ChaosRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    ChaosResult run() throws IOException, InterruptedException {
        Path dir = options.dir() != null ? options.dir() : Files.createTempDirectory("shardgrid-chaos-");
        Files.createDirectories(dir);
        Random random = new Random(options.seed());
        ProcessCluster cluster = new ProcessCluster(dir, options.nodes(), options.partitions(), random);
        NetnsNetwork network = null;
        int diskNode = -1;
        String clusterDump = null;
        List<String> notes = new ArrayList<>();
        Teardown teardown = new Teardown();
        Thread hook = new Thread(teardown, "chaos-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (options.faults().contains(Fault.DISK)) {
                diskNode = options.nodes();
                TmpfsMount tmpfs = TmpfsMount.mount(dir.resolve("tmpfs-node" + diskNode), "96m");
                if (tmpfs == null) {
                    notes.add("disk fault skipped: could not mount a tmpfs (needs root)");
                    diskNode = -1;
                } else {
                    teardown.add(tmpfs);
                    cluster.dataDir(diskNode, tmpfs.path().resolve("data"));
                }
            }
            if (options.faults().contains(Fault.PARTITION)) {
                network = NetnsNetwork.create(options.nodes(), random);
                if (network == null) {
                    notes.add("partition fault skipped: could not create network namespaces (needs root and iproute2)");
                } else {
                    teardown.add(network);
                    cluster.network(network);
                }
            }
            out.printf("chaos: %d nodes, %d partitions, faults %s, seed %d, dir %s%n", options.nodes(),
                options.partitions(), options.faults(), options.seed(), dir);
            long startNs = System.nanoTime();
            teardown.add(cluster);
            cluster.start(options.readyTimeout().compareTo(CLUSTER_START_TIMEOUT) > 0 ? options.readyTimeout()
                : CLUSTER_START_TIMEOUT);
            long clusterReadyNs = System.nanoTime();
            out.printf("chaos: cluster ready in %.1f s%n", (clusterReadyNs - startNs) / 1e9);

            History history = new History();
            List<FaultEvent> events = new ArrayList<>();
            try (GridClient client = GridClient.builder().seeds(cluster.grpcAddresses())
                .timeout(Duration.ofMillis(2_500)).build()) {
                ChaosWorkload workload = new ChaosWorkload(client, history, options.registerKeys(),
                    options.counterKeys(), 4_000);
                Nemesis nemesis = new Nemesis(cluster, client, random, options.readyTimeout(), out, diskNode, network,
                    clusterReadyNs);
                workload.start(options.clients(), options.seed());
                Thread.sleep(options.quiet().toMillis());
                long faultsStartNs = System.nanoTime();
                long faultsUntilNs = faultsStartNs + options.duration().toNanos();
                int turn = 0;
                while (System.nanoTime() < faultsUntilNs) {
                    FaultEvent e = nemesis.inject(options.faults().get(turn++ % options.faults().size()));
                    events.add(e);
                    if (e.error() != null) {
                        break;
                    }
                    Thread.sleep(options.quiet().toMillis());
                }
                long faultsEndNs = System.nanoTime();
                workload.stop();
                List<String> unread;
                try (GridClient reader = GridClient.builder().seeds(cluster.grpcAddresses())
                    .timeout(Duration.ofMillis(2_500)).build()) {
                    unread = workload.finalReads(reader, TimeUnit.SECONDS.toMillis(30));
                }
                List<String> stuck = workload.probe(client);
                if (!stuck.isEmpty()) {
                    notes.add("the workload's client still cannot read " + stuck + " after the faults healed"
                        + " (a fresh client could): it did not recover from a fault");
                }
                ChaosResult result = ChaosResult.of(history, new LinearizabilityChecker().check(history),
                    workload.outcomes(), events, unread, faultsEndNs, clusterReadyNs - startNs, notes);
                if (!result.passed()) {
                    clusterDump = cluster.dump(30);
                }
                return result.withDump(clusterDump);
            }
        } catch (RuntimeException | IOException | InterruptedException e) {
            out.println("chaos: run aborted: " + e);
            out.print(cluster.dump(30));
            throw e;
        } finally {
            teardown.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs teardown, which is done
            }
        }
    }

    /**
     * Undoes what a run set up, the last first (nodes, then the namespaces and tmpfs they used),
     * once: at the end of the run, or from a shutdown hook on Ctrl-C.
     */
    private static final class Teardown implements Runnable {
        private final Deque<AutoCloseable> resources = new ConcurrentLinkedDeque<>();
        private final AtomicBoolean done = new AtomicBoolean();

        void add(AutoCloseable resource) {
            resources.push(resource);
        }

        @Override
        public void run() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            for (AutoCloseable r : resources) {
                try {
                    r.close();
                } catch (Exception e) {
                    System.err.println("chaos: teardown of " + r + " failed: " + e);
                }
            }
        }
    }
}
