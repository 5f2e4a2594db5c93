package io.shardgrid.bench.floor;

import io.shardgrid.server.config.Durability;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Ratis floor: what raft alone costs with Shardgrid's own Ratis settings
 * ({@code RatisTuning.properties}), before any store, batching or routing. Three server processes
 * on loopback host G groups (RF 3) of a state machine that only counts ({@link CountingStateMachine});
 * this process drives them with RaftClient {@code async().send}, W closed-loop writers spread over
 * the groups, entries of 1 or 64 ops (~130 B or ~8 KB), durability SYNC (fsync before an entry
 * counts) or ASYNC (unsafe flush). Each row reports entries/s, ops/s, p50/p99 latency, and the three
 * servers' CPU µs and context switches per entry read from {@code /proc} over the measured window.
 *
 * <p>Run (after {@code mvn -B -q -DskipTests -pl bench -am package}):
 * <pre>
 * bin/grid bench floor --matrix --warmup 3 --measure 5 --json floor.json
 * bin/grid bench floor --groups 8 --ops 64 --writers 50 --durability async
 * # without bin/grid:
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
 *   -cp 'bench/target/classes:bench/target/lib/*' io.shardgrid.bench.floor.RatisFloor --matrix
 * </pre>
 * The matrix is groups {1,8,64} × ops/entry {1,64} × writers {1,50} × durability {sync,async};
 * any of the four flags restricts it. Servers are started once per (durability, groups); each
 * set first takes an unmeasured burst (the run's largest ops × writers, {@code --prewarm} seconds long)
 * so that its rows do not pay for the JIT, then idles 2 s to show its baseline cost, then runs
 * that pair's rows.
 */
@Command(name = "floor", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Ratis floor: raft with Shardgrid's Ratis settings and a counting state machine, 3 server JVMs.")
public final class RatisFloor implements Callable<Integer> {
    static final List<Integer> MATRIX_GROUPS = List.of(1, 8, 64);
    static final List<Integer> MATRIX_OPS = List.of(1, 64);
    static final List<Integer> MATRIX_WRITERS = List.of(1, 50);
    static final List<Durability> MATRIX_DURABILITY = List.of(Durability.SYNC, Durability.ASYNC);
    private static final int MAX_GROUPS = 256;
    private static final int MAX_WRITERS = 1_000;
    private static final int MAX_ROWS = 64;
    private static final int MAX_SECONDS_PER_ROW = 300;
    private static final long PRIME_TIMEOUT_MS = 60_000;
    /** Before a cluster's rows: what the servers cost with no writes (heartbeats, timers, JIT). */
    private static final long IDLE_SAMPLE_MS = 2_000;

    @Option(names = "--matrix", description = "Run every combination of the four lists below; unset lists take "
        + "the matrix's full list instead of the single-row default.")
    boolean matrix;

    @Option(names = {"-g", "--groups"}, split = ",", description = "Raft groups, RF 3 (default: 1; matrix: 1,8,64).")
    List<Integer> groups;

    @Option(names = "--ops", split = ",", description = "Ops per entry (default: 1; matrix: 1,64).")
    List<Integer> ops;

    @Option(names = {"-w", "--writers"}, split = ",",
        description = "Outstanding requests, closed loop (default: 1; matrix: 1,50).")
    List<Integer> writers;

    @Option(names = "--durability", split = ",", description = "SYNC and/or ASYNC (default: SYNC; matrix: both).")
    List<Durability> durability;

    @Option(names = "--prewarm", description = "Seconds of unmeasured load on each fresh server set before its "
        + "rows (default: ${DEFAULT-VALUE}). Three fresh JVMs on two cores compile for one to two minutes; "
        + "anything shorter measures the JIT, not raft.")
    int prewarmSeconds = 120;

    @Option(names = "--warmup", description = "Warm-up seconds per row (default: ${DEFAULT-VALUE}).")
    int warmupSeconds = 5;

    @Option(names = {"-d", "--measure"}, description = "Measured seconds per row (default: ${DEFAULT-VALUE}).")
    int measureSeconds = 10;

    @Option(names = "--json", description = "Also write the rows as JSON to this file.")
    Path json;

    @Option(names = "--dir", description = "Parent of the servers' temporary data directory, deleted after "
        + "(default: ${DEFAULT-VALUE}). Its file system decides what an fsync costs.")
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));

    private final PrintStream out;

    public RatisFloor() {
        this(System.out);
    }

    RatisFloor(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new RatisFloor()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<Integer> g = pick(groups, MATRIX_GROUPS, 1);
        List<Integer> o = pick(ops, MATRIX_OPS, 1);
        List<Integer> w = pick(writers, MATRIX_WRITERS, 1);
        List<Durability> d = pick(durability, MATRIX_DURABILITY, Durability.SYNC);
        check(g, 1, MAX_GROUPS, "groups");
        check(o, 1, FloorEntry.MAX_OPS, "ops per entry");
        check(w, 1, MAX_WRITERS, "writers");
        if (warmupSeconds < 0 || warmupSeconds > MAX_SECONDS_PER_ROW) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                "warm-up " + warmupSeconds + " s must be in [0, " + MAX_SECONDS_PER_ROW + "]");
        }
        if (prewarmSeconds < 0 || prewarmSeconds > MAX_SECONDS_PER_ROW) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                "prewarm " + prewarmSeconds + " s must be in [0, " + MAX_SECONDS_PER_ROW + "]");
        }
        if (measureSeconds < 1 || measureSeconds > MAX_SECONDS_PER_ROW) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                "measure " + measureSeconds + " s must be in [1, " + MAX_SECONDS_PER_ROW + "]");
        }
        int rowCount = g.size() * o.size() * w.size() * d.size();
        if (rowCount > MAX_ROWS) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                rowCount + " rows exceed the limit of " + MAX_ROWS);
        }
        if (!ProcSample.available()) {
            out.println("note: /proc is not readable; CPU and context-switch columns read 0");
        }
        out.printf(Locale.ROOT, "Ratis floor: %d s prewarm per server set, %d rows × (%d s warm-up + %d s measured), "
                + "data under %s%n",
            prewarmSeconds, rowCount, warmupSeconds, measureSeconds, dir);
        out.println(FloorRow.header());
        List<FloorRow> rows = run(g, o, w, d);
        if (rows.size() > 1) {
            out.println();
            out.println(FloorRow.header());
            rows.forEach(r -> out.println(r.line()));
        }
        if (json != null) {
            String meta = String.format(Locale.ROOT,
                "\"prewarmSeconds\":%d,\"warmupSeconds\":%d,\"measureSeconds\":%d,\"cpus\":%d",
                prewarmSeconds, warmupSeconds, measureSeconds, Runtime.getRuntime().availableProcessors());
            Files.writeString(json, FloorRow.json(rows, meta), StandardCharsets.UTF_8);
        }
        return rows.stream().anyMatch(r -> r.mismatches() > 0) ? 1 : 0;
    }

    private List<FloorRow> run(List<Integer> groupCounts, List<Integer> opsList, List<Integer> writerCounts,
                               List<Durability> durabilities) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        long clockTicks = ProcSample.clockTicksPerSecond();
        List<FloorRow> rows = new ArrayList<>();
        for (Durability dur : durabilities) {
            for (int groupCount : groupCounts) {
                long startNs = System.nanoTime();
                try (FloorCluster cluster = FloorCluster.start(dur, dir, java, classPath)) {
                    List<RaftClient> clients = new ArrayList<>();
                    try {
                        for (RaftGroup group : cluster.createGroups(groupCount)) {
                            clients.add(cluster.client(group, RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
                                TimeDuration.valueOf(100, TimeUnit.MILLISECONDS))));
                        }
                        FloorLoad.prime(clients, PRIME_TIMEOUT_MS);
                        double readySeconds = (System.nanoTime() - startNs) / 1e9;
                        // Fresh JVMs: compile the write path before the first row, or that row pays for the JIT.
                        FloorLoad.run(clients, cluster.pids(), dur.name(), Collections.max(opsList),
                            Collections.max(writerCounts), TimeUnit.SECONDS.toMillis(prewarmSeconds), 1, clockTicks);
                        ProcSample i0 = ProcSample.of(cluster.pids());
                        Thread.sleep(IDLE_SAMPLE_MS);
                        ProcSample i1 = ProcSample.of(cluster.pids());
                        out.printf(Locale.ROOT, "# %s, %d groups: servers %s ready in %.1f s; idle, the three use "
                                + "%.0f ms CPU/s and %.0f context switches/s (%d threads)%n",
                            dur.name().toLowerCase(Locale.ROOT), groupCount, cluster.pids(), readySeconds,
                            (i1.cpuTicks() - i0.cpuTicks()) * 1e3 / clockTicks * 1e3 / IDLE_SAMPLE_MS,
                            (i1.ctxtSwitches() - i0.ctxtSwitches()) * 1e3 / IDLE_SAMPLE_MS, i1.threads());
                        for (int opsPerEntry : opsList) {
                            for (int w : writerCounts) {
                                FloorRow row = FloorLoad.run(clients, cluster.pids(), dur.name(), opsPerEntry, w,
                                    TimeUnit.SECONDS.toMillis(warmupSeconds), TimeUnit.SECONDS.toMillis(measureSeconds),
                                    clockTicks);
                                rows.add(row);
                                out.println(row.line());
                                out.flush();
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        out.println("floor failed: " + e + "\n" + cluster.logs());
                        throw e;
                    } finally {
                        for (RaftClient c : clients) {
                            c.close();
                        }
                    }
                }
            }
        }
        return rows;
    }

    private <T> List<T> pick(List<T> given, List<T> matrixDefault, T singleDefault) {
        if (given != null && !given.isEmpty()) {
            return List.copyOf(new java.util.LinkedHashSet<>(given));
        }
        return matrix ? matrixDefault : List.of(singleDefault);
    }

    private void check(List<Integer> values, int min, int max, String what) {
        for (int v : values) {
            if (v < min || v > max) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                    what + " " + v + " must be in [" + min + ", " + max + "]");
            }
        }
    }
}
