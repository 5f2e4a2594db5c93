package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.Nemesis.FaultEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link ChaosRun} found: the answers clients got, each fault with its unavailability
 * window, the checker's verdict, and the failures that make the run fail.
 *
 * @param faults     each fault with {@code unavailableNs}: the longest time, from the fault's start
 *                   to the next fault (or the end of faults), in which no operation on any key
 *                   completed successfully
 * @param lostWrites violations found at a final read: an acknowledged write missing (or a value
 *                   nobody wrote) once the cluster healed
 * @param unread     keys the final reads could not read within their deadline
 * @param dump       every node's state and log tail when the run failed, else null
 */
record ChaosResult(long operations, Map<String, Long> outcomes, List<FaultOutcome> faults, CheckReport check,
                   List<KeyResult> lostWrites, List<String> unread, long startupNs, List<String> notes, String dump) {

    record FaultOutcome(FaultEvent event, long unavailableNs) {
    }

    static ChaosResult of(History history, CheckReport check, Map<String, Long> outcomes, List<FaultEvent> events,
                          List<String> unread, long faultsEndNs, long startupNs, List<String> notes) {
        List<Operation> ops = history.operations();
        long[] okAt = ops.stream().filter(o -> o.outcome() == Operation.Outcome.OK)
            .mapToLong(Operation::completeNs).sorted().toArray();
        List<FaultOutcome> faults = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            long from = events.get(i).startNs();
            long to = i + 1 < events.size() ? events.get(i + 1).startNs() : faultsEndNs;
            faults.add(new FaultOutcome(events.get(i), longestGap(okAt, from, to)));
        }
        List<KeyResult> lost = check.violations().stream()
            .filter(k -> k.blocked() != null && k.blocked().process() == ChaosWorkload.FINAL_READER).toList();
        return new ChaosResult(ops.size(), outcomes, faults, check, lost, unread, startupNs, notes, null);
    }

    /** The longest stretch of [from, to] containing no time in {@code sortedNs}. */
    static long longestGap(long[] sortedNs, long from, long to) {
        long last = from;
        long gap = 0;
        for (long t : sortedNs) {
            if (t <= from) {
                continue;
            }
            if (t >= to) {
                break;
            }
            gap = Math.max(gap, t - last);
            last = t;
        }
        return Math.max(gap, to - last);
    }

    ChaosResult withDump(String clusterDump) {
        return new ChaosResult(operations, outcomes, faults, check, lostWrites, unread, startupNs, notes, clusterDump);
    }

    /** No violation, no lost write, every key readable at the end, every node ready after every fault. */
    boolean passed() {
        return failures().isEmpty();
    }

    List<String> failures() {
        List<String> failures = new ArrayList<>();
        if (!check.violations().isEmpty()) {
            failures.add(check.violations().size() + " keys with a linearizability violation");
        }
        if (!lostWrites.isEmpty()) {
            failures.add(lostWrites.size() + " keys lost an acknowledged write (final read)");
        }
        if (!unread.isEmpty()) {
            failures.add("keys unreadable after the faults healed: " + unread);
        }
        for (FaultOutcome f : faults) {
            if (f.event().error() != null) {
                failures.add(f.event().fault() + " " + f.event().target() + ": " + f.event().error());
            }
        }
        return failures;
    }

    String toText() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "cluster start %.1f s; %,d operations%n", startupNs / 1e9, operations));
        b.append("answers:");
        outcomes.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%,d", k, v)));
        b.append('\n');
        b.append(String.format(Locale.ROOT, "%-9s %-7s %7s %8s %10s  %s%n", "fault", "target", "heal s", "ready s",
            "unavail s", "note"));
        for (FaultOutcome f : faults) {
            FaultEvent e = f.event();
            b.append(String.format(Locale.ROOT, "%-9s %-7s %7.1f %8s %10.2f  %s%s%n", e.fault(), e.target(),
                (e.healedNs() - e.startNs()) / 1e9,
                e.readyNs() == 0 ? "NEVER" : String.format(Locale.ROOT, "%.1f", (e.readyNs() - e.healedNs()) / 1e9),
                f.unavailableNs() / 1e9, e.note(), e.error() == null ? "" : "  ERROR: " + e.error()));
        }
        for (String note : notes) {
            b.append("note: ").append(note).append('\n');
        }
        b.append(check.toText());
        List<String> failures = failures();
        b.append(failures.isEmpty() ? "PASS\n" : "FAIL: " + String.join("; ", failures) + "\n");
        if (dump != null) {
            b.append(dump);
        }
        return b.toString();
    }

    String toJson() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"passed\": ").append(passed())
            .append(", \"failures\": ").append(strings(failures()))
            .append(", \"startup_ns\": ").append(startupNs)
            .append(", \"operations\": ").append(operations)
            .append(", \"outcomes\": {");
        int n = 0;
        for (Map.Entry<String, Long> e : outcomes.entrySet()) {
            b.append(n++ == 0 ? "" : ", ").append(JsonText.string(e.getKey())).append(": ").append(e.getValue());
        }
        b.append("}, \"faults\": [");
        for (int i = 0; i < faults.size(); i++) {
            FaultEvent e = faults.get(i).event();
            b.append(i == 0 ? "" : ", ")
                .append("{\"fault\": ").append(JsonText.string(e.fault().name()))
                .append(", \"target\": ").append(JsonText.string(e.target()))
                .append(", \"heal_ns\": ").append(e.healedNs() - e.startNs())
                .append(", \"ready_after_heal_ns\": ").append(e.readyNs() == 0 ? "null" : e.readyNs() - e.healedNs())
                .append(", \"unavailable_ns\": ").append(faults.get(i).unavailableNs())
                .append(", \"note\": ").append(JsonText.string(e.note()))
                .append(", \"error\": ").append(JsonText.string(e.error()))
                .append('}');
        }
        b.append("], \"unread_keys\": ").append(strings(unread))
            .append(", \"lost_write_keys\": ").append(strings(lostWrites.stream().map(KeyResult::key).toList()))
            .append(", \"notes\": ").append(strings(notes))
            .append(", \"check\": ").append(check.toJson())
            .append('}');
        return b.toString();
    }

    private static String strings(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(JsonText.string(values.get(i)));
        }
        return b.append(']').toString();
    }
}
