package io.shardgrid.bench.floor;

import java.util.List;
import java.util.Locale;

/**
 * One measured row of the floor.
 *
 * @param groups              raft groups on the three servers
 * @param opsPerEntry         ops carried by each raft entry
 * @param writers             requests kept outstanding (closed loop), spread over the groups
 * @param durability          SYNC or ASYNC (RatisTuning's unsafe flush)
 * @param seconds             length of the measured window
 * @param entries             entries acknowledged inside the window
 * @param p50Us               median latency of those entries, µs
 * @param p99Us               99th percentile, µs
 * @param maxUs               maximum, µs
 * @param serverCpuUsPerEntry utime + stime of the three servers over the window, per entry
 * @param serverCtxtPerEntry  context switches of the servers' threads over the window, per entry
 * @param machineCtxtPerEntry the machine's context switches over the window, per entry
 * @param boxCpuBusyPct       all CPUs' busy share over the window (100 = every core busy), any process
 * @param serverThreads       threads of the three servers at the end of the window
 * @param errors              requests that failed (over the whole row, warm-up included)
 * @param mismatches          replies whose count differed from the ops sent (whole row)
 */
record FloorRow(int groups, int opsPerEntry, int writers, String durability, double seconds, long entries,
                long p50Us, long p99Us, long maxUs, double serverCpuUsPerEntry, double serverCtxtPerEntry,
                double machineCtxtPerEntry, double boxCpuBusyPct, int serverThreads, long errors, long mismatches) {

    double entriesPerSecond() {
        return seconds <= 0 ? 0 : entries / seconds;
    }

    double opsPerSecond() {
        return entriesPerSecond() * opsPerEntry;
    }

    static String header() {
        return String.format(Locale.ROOT, "%6s %7s %7s %5s %10s %11s %9s %9s %11s %11s %11s %6s %7s %6s",
            "groups", "ops/ent", "writers", "dur", "entries/s", "ops/s", "p50 µs", "p99 µs", "srvCPUµs/e",
            "srvCtx/e", "boxCtx/e", "box%", "threads", "errors");
    }

    String line() {
        return String.format(Locale.ROOT, "%6d %7d %7d %5s %10.0f %11.0f %9d %9d %11.0f %11.1f %11.1f %6.0f %7d %6d",
            groups, opsPerEntry, writers, durability.toLowerCase(Locale.ROOT), entriesPerSecond(), opsPerSecond(),
            p50Us, p99Us, serverCpuUsPerEntry, serverCtxtPerEntry, machineCtxtPerEntry, boxCpuBusyPct,
            serverThreads, errors + mismatches);
    }

    String json() {
        return String.format(Locale.ROOT, "{\"groups\":%d,\"opsPerEntry\":%d,\"writers\":%d,\"durability\":\"%s\","
                + "\"seconds\":%.3f,\"entries\":%d,\"entriesPerSecond\":%.1f,\"opsPerSecond\":%.1f,"
                + "\"p50Us\":%d,\"p99Us\":%d,\"maxUs\":%d,\"serverCpuUsPerEntry\":%.1f,\"serverCtxtPerEntry\":%.2f,"
                + "\"machineCtxtPerEntry\":%.2f,\"boxCpuBusyPct\":%.1f,\"serverThreads\":%d,\"errors\":%d,"
                + "\"mismatches\":%d}",
            groups, opsPerEntry, writers, durability, seconds, entries, entriesPerSecond(), opsPerSecond(), p50Us,
            p99Us, maxUs, serverCpuUsPerEntry, serverCtxtPerEntry, machineCtxtPerEntry, boxCpuBusyPct, serverThreads,
            errors, mismatches);
    }

    static String json(List<FloorRow> rows, String meta) {
        StringBuilder b = new StringBuilder("{").append(meta).append(",\"rows\":[\n");
        for (int i = 0; i < rows.size(); i++) {
            b.append("  ").append(rows.get(i).json()).append(i + 1 < rows.size() ? ",\n" : "\n");
        }
        return b.append("]}\n").toString();
    }
}
