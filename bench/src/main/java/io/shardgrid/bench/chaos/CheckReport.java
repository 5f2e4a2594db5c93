package io.shardgrid.bench.chaos;

import io.shardgrid.bench.chaos.KeyResult.Verdict;
import java.util.List;
import java.util.Locale;

/**
 * A checked history: how many operations of each outcome, and the verdict for every key.
 *
 * @param operations every operation in the history, whatever its outcome
 * @param keys       one result per key, in order of each key's first invocation
 */
public record CheckReport(long operations, long ok, long fail, long unknown, List<KeyResult> keys, long elapsedNs) {
    public CheckReport {
        keys = List.copyOf(keys);
    }

    /** True when no key has a violation and none ran out of budget. */
    public boolean linearizable() {
        return keys.stream().allMatch(k -> k.verdict() == Verdict.LINEARIZABLE);
    }

    public List<KeyResult> violations() {
        return withVerdict(Verdict.VIOLATION);
    }

    /** Keys the search could not decide within its budget. */
    public List<KeyResult> timeouts() {
        return withVerdict(Verdict.TIMEOUT);
    }

    private List<KeyResult> withVerdict(Verdict verdict) {
        return keys.stream().filter(k -> k.verdict() == verdict).toList();
    }

    /** A summary line, then each violation and timeout explained. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        List<KeyResult> violations = violations();
        List<KeyResult> timeouts = timeouts();
        String verdict = !violations.isEmpty() ? "NOT LINEARIZABLE" : !timeouts.isEmpty() ? "UNDECIDED" : "LINEARIZABLE";
        b.append(String.format(Locale.ROOT, "%s: %,d operations (%,d ok, %,d failed, %,d unknown) on %,d keys; "
                + "%d violations, %d undecided; checked in %.3f s%n", verdict, operations, ok, fail, unknown,
            keys.size(), violations.size(), timeouts.size(), elapsedNs / 1e9));
        for (KeyResult k : violations) {
            b.append(k.explanation());
        }
        for (KeyResult k : timeouts) {
            b.append(k.explanation()).append('\n');
        }
        return b.toString();
    }

    /** The report as one JSON object; per key its verdict, and for a violation the blocked operation's id. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"linearizable\": ").append(linearizable())
            .append(", \"operations\": ").append(operations)
            .append(", \"ok\": ").append(ok)
            .append(", \"fail\": ").append(fail)
            .append(", \"unknown\": ").append(unknown)
            .append(", \"keys_checked\": ").append(keys.size())
            .append(", \"violations\": ").append(violations().size())
            .append(", \"timeouts\": ").append(timeouts().size())
            .append(", \"elapsed_ns\": ").append(elapsedNs)
            .append(", \"keys\": [");
        for (int i = 0; i < keys.size(); i++) {
            KeyResult k = keys.get(i);
            b.append(i == 0 ? "" : ", ")
                .append("{\"key\": ").append(JsonText.string(k.key()))
                .append(", \"verdict\": ").append(JsonText.string(k.verdict().name()))
                .append(", \"operations\": ").append(k.operations())
                .append(", \"steps\": ").append(k.steps())
                .append(", \"elapsed_ns\": ").append(k.elapsedNs());
            if (k.verdict() != Verdict.LINEARIZABLE) {
                b.append(", \"linearized_prefix\": ").append(k.linearized().size())
                    .append(", \"blocked_op\": ").append(k.blocked() == null ? "null" : Long.toString(k.blocked().id()))
                    .append(", \"explanation\": ").append(JsonText.string(k.explanation()));
            }
            b.append('}');
        }
        return b.append("]}").toString();
    }
}
