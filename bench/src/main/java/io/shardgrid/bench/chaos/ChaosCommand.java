package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Nemesis.Fault;
import io.shardgrid.common.time.DurationText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/grid chaos}: starts a cluster of {@code grid server} processes, runs concurrent
 * clients against it while killing, pausing and starving nodes one fault at a time, then checks
 * every answer for linearizability. Exit code 0 when the run passed, 1 on a violation, a lost
 * acknowledged write, an unreadable key or a node that stayed unready. See docs/CHAOS.md.
 *
 * <pre>{@code bin/grid chaos --duration 3m --seed 7 --json chaos.json}</pre>
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Fault injection against real grid server processes, checked for linearizability.")
public final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--duration", description = "How long faults keep coming, e.g. 90s, 10m (default: ${DEFAULT-VALUE}).")
    String duration = "10m";

    @Option(names = "--json", description = "Also write the result as JSON to this file.")
    Path json;

    @Option(names = "--seed", description = "Seeds fault targets and the workload (default: the time).")
    Long seed;

    @Option(names = "--nodes", description = "grid server processes (default: ${DEFAULT-VALUE}).")
    int nodes = 3;

    @Option(names = "--partitions", description = "Partitions, a power of two (default: ${DEFAULT-VALUE}).")
    int partitions = 8;

    @Option(names = "--faults", split = ",",
        description = "Faults taking turns: kill, pause, clock, partition, disk, split, move (move needs --nodes 4 or "
            + "more; clock needs libfaketime, apt-get install faketime) (default: ${DEFAULT-VALUE}).")
    List<String> faults = new ArrayList<>(List.of("kill", "pause", "clock", "partition", "disk", "split"));

    @Option(names = "--clients", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int clients = 6;

    @Option(names = "--registers", description = "Register keys (get/set/delete/cas) (default: ${DEFAULT-VALUE}).")
    int registers = 16;

    @Option(names = "--counters", description = "Counter keys (get/increment/delete) (default: ${DEFAULT-VALUE}).")
    int counters = 8;

    @Option(names = "--dir", description = "Data and log directory (default: a new temporary directory).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        ChaosResult result = new ChaosRun(options(), System.out).run();
        System.out.print(result.toText());
        if (json != null) {
            Files.writeString(json, result.toJson() + "\n", StandardCharsets.UTF_8);
        }
        return result.passed() ? 0 : 1;
    }

    ChaosRun.Options options() {
        List<Fault> parsed = new ArrayList<>();
        for (String f : faults) {
            try {
                parsed.add(Fault.parse(f));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                    "unknown fault '" + f + "'; use kill, pause, partition, disk, move");
            }
        }
        return new ChaosRun.Options(Duration.ofMillis(DurationText.parseMs(duration, TimeUnit.SECONDS)), nodes,
            partitions, parsed, seed != null ? seed : System.currentTimeMillis(), clients, registers, counters, dir,
            Duration.ofSeconds(3), Duration.ofSeconds(90));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ChaosCommand()).execute(args));
    }
}
