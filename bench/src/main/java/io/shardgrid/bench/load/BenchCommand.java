package io.shardgrid.bench.load;

import io.shardgrid.bench.floor.RatisFloor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grid bench}: drives Shardgrid (through the smart client) or Redis with one workload for a
 * bounded time, printing a progress line a second and a summary; optionally JSON and HTML reports.
 * {@code grid bench floor}: the Ratis floor ({@link RatisFloor}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, subcommands = RatisFloor.class,
    description = "Load generator for Shardgrid and Redis (same workload code for both).")
public final class BenchCommand implements Callable<Integer> {
    /** YCSB-style presets: A 50/50, B 95/5, C read-only, W write-only. */
    enum Preset {
        A(0.5), B(0.95), C(1.0), W(0.0);

        final double readRatio;

        Preset(double readRatio) {
            this.readRatio = readRatio;
        }
    }

    @Option(names = "--target", description = "grid://host:port[,host:port…] or redis://host:port "
        + "(default: ${DEFAULT-VALUE}).")
    String target = "grid://127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093";

    @Option(names = {"-w", "--workload"}, description = "Preset: A (50%% reads), B (95%%), C (100%%), W (0%%) "
        + "(default: ${DEFAULT-VALUE}).")
    Preset workload = Preset.B;

    @Option(names = "--read-ratio", description = "Overrides the preset's share of reads, 0..1.")
    Double readRatio;

    @Option(names = "--keys", description = "Key space size (default: ${DEFAULT-VALUE}).")
    long keys = 100_000;

    @Option(names = "--key-size", description = "Key bytes (default: ${DEFAULT-VALUE}).")
    int keySize = 16;

    @Option(names = "--value-size", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize = 100;

    @Option(names = "--zipf", description = "Zipf exponent in (0,1) for skewed keys; 0 = uniform (default: ${DEFAULT-VALUE}).")
    double zipf = 0;

    @Option(names = "--connections", description = "Redis connections (default: ${DEFAULT-VALUE}).")
    int connections = 8;

    @Option(names = "--pipeline", description = "Operations per connection in flight (Redis) / per Batch message "
        + "(Shardgrid); 1 = unpipelined (default: ${DEFAULT-VALUE}).")
    int pipeline = 1;

    @Option(names = "--concurrency", description = "Operations in flight in all (default: connections × pipeline).")
    Integer concurrency;

    @Option(names = "--rate", description = "Open loop at this many ops/s, latency from intended start; "
        + "0 = closed loop (default: ${DEFAULT-VALUE}).")
    int rate = 0;

    @Option(names = "--warmup", description = "Warm-up seconds, not measured (default: ${DEFAULT-VALUE}).")
    int warmup = 3;

    @Option(names = {"-d", "--duration"}, description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    int duration = 10;

    @Option(names = "--ttl-ms", description = "TTL on writes in ms, 0 = none (default: ${DEFAULT-VALUE}).")
    long ttlMs = 0;

    @Option(names = "--near-cache", description = "Shardgrid: entries in the client's near cache; 0 = off (default: ${DEFAULT-VALUE}).")
    long nearCache = 0;

    @Option(names = "--tls-ca", description = "Shardgrid: CA (PEM) of nodes that run TLS; talks TLS to them.")
    Path tlsCa;

    @Option(names = "--tls-cert", description = "Shardgrid: client certificate (PEM) for nodes that require one.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "Shardgrid: the client certificate's key (PEM).")
    Path tlsKey;

    @Option(names = "--client-token", defaultValue = "${env:SHARDGRID_CLIENT_TOKEN}",
        description = "Shardgrid: the cluster's client token, if its nodes have one (env SHARDGRID_CLIENT_TOKEN).")
    String clientToken;

    @Option(names = "--json", description = "Write the result as JSON to this file.")
    Path json;

    @Option(names = "--html", description = "Write a self-contained HTML report to this file.")
    Path html;

    BenchOptions options() {
        int inFlight = concurrency != null ? concurrency : Math.max(1, connections) * Math.max(1, pipeline);
        return new BenchOptions(workload.name(), readRatio != null ? readRatio : workload.readRatio, keys, keySize,
            valueSize, zipf, inFlight, pipeline, connections, rate, warmup, duration, ttlMs);
    }

    @Override
    public Integer call() throws Exception {
        BenchOptions o = options();
        GridAccess access = new GridAccess(tlsCa, tlsCert, tlsKey, clientToken);
        try (KvTarget kv = KvTarget.open(target, o.pipeline(), o.connections(), nearCache, access)) {
            System.out.printf("%s workload %s: reads %.0f%%, %d keys of %d B, values %d B, %s, %d in flight, %s%n",
                kv.name(), o.workload(), o.readRatio() * 100, o.keys(), o.keySize(), o.valueSize(),
                o.zipf() > 0 ? "zipf " + o.zipf() : "uniform", o.concurrency(),
                o.rate() > 0 ? "open loop at " + o.rate() + " ops/s" : "closed loop");
            if (o.readRatio() > 0) {
                preload(kv, o);
            }
            BenchResult result = new LoadRun(kv, o, System.out).run();
            System.out.println(result.summary());
            kv.notes().ifPresent(System.out::println);
            result.write(json, html);
            return result.errors().isEmpty() ? 0 : 1;
        }
    }

    /** Reads of absent keys would measure misses; write every key once first (bounded, pipelined). */
    private static void preload(KvTarget kv, BenchOptions o) {
        Workload keysOnly = new Workload(0, o.keys(), o.keySize(), 0, 1);
        byte[] value = new byte[o.valueSize()];
        java.util.Arrays.fill(value, (byte) 'v');
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(256);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        for (long i = 0; i < o.keys() && System.nanoTime() < deadline; i++) {
            window.acquireUninterruptibly();
            kv.set(keysOnly.key(i), value, 0).whenComplete((r, e) -> window.release());
        }
        window.acquireUninterruptibly(256);
        System.out.printf("preloaded %d keys%n", o.keys());
    }
}
