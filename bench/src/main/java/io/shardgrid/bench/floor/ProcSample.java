package io.shardgrid.bench.floor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Counters read from Linux {@code /proc} at one instant: CPU ticks and context switches of a set
 * of processes, and the machine's context switches and busy/total CPU ticks. Deltas of two
 * samples give the cost of the window between them. Threads that exit inside the window take
 * their context switches with them (the per-task counts are summed), so those are a lower bound.
 *
 * @param cpuTicks     utime + stime of the processes, in clock ticks
 * @param ctxtSwitches voluntary + nonvoluntary context switches summed over the processes' threads
 * @param threads      threads of the processes
 * @param machineCtxt  {@code ctxt} of {@code /proc/stat}
 * @param machineBusyTicks all CPUs' non-idle ticks (user, nice, system, irq, softirq, steal)
 * @param machineTotalTicks all CPUs' ticks, idle and iowait included
 */
record ProcSample(long cpuTicks, long ctxtSwitches, int threads, long machineCtxt, long machineBusyTicks,
                  long machineTotalTicks) {
    static final Path PROC = Path.of("/proc");

    static boolean available() {
        return Files.isReadable(PROC.resolve("stat"));
    }

    static ProcSample of(List<Long> pids) {
        long ticks = 0;
        long ctxt = 0;
        int threads = 0;
        for (long pid : pids) {
            ticks += cpuTicks(pid);
        }
        // CPU first for every process: walking ~1,500 task files can take a while on a busy box.
        for (long pid : pids) {
            Path tasks = PROC.resolve(Long.toString(pid)).resolve("task");
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
                for (Path task : ds) {
                    long c = taskSwitches(task.resolve("status"));
                    if (c >= 0) {
                        ctxt += c;
                        threads++;
                    }
                }
            } catch (IOException e) {
                // process gone: counts nothing
            }
        }
        long machineCtxt = 0;
        long busy = 0;
        long total = 0;
        try {
            for (String line : Files.readAllLines(PROC.resolve("stat"))) {
                if (line.startsWith("ctxt ")) {
                    machineCtxt = Long.parseLong(line.substring(5).trim());
                } else if (line.startsWith("cpu ")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    for (int i = 0; i < Math.min(f.length, 8); i++) {
                        long v = Long.parseLong(f[i]);
                        total += v;
                        if (i != 3 && i != 4) {
                            busy += v;
                        }
                    }
                }
            }
        } catch (IOException e) {
            // no /proc/stat: machine columns read zero
        }
        return new ProcSample(ticks, ctxt, threads, machineCtxt, busy, total);
    }

    /** Fields 14 and 15 of /proc/PID/stat, counted after the ')' closing the command name. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long taskSwitches(Path status) {
        try {
            long sum = 0;
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                    sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code getconf CLK_TCK}, or 100 (the Linux default) when it cannot be asked. */
    static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
