package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.bench.chaos.KeyResult.Verdict;
import io.shardgrid.bench.chaos.Operation.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories made from a real sequential execution, so linearizable by construction: every operation
 * runs on a model at a distinct instant, and its client's call and answer are stamped around that
 * instant with random slack, clients overlapping each other but never themselves. Some writes are
 * answered UNKNOWN (having taken effect or not) and some FAIL (having applied nothing).
 */
class LinearizabilityPropertyTest {
    private static final int SEEDS = 300;

    /** Generates a history; the model is a map from key to register value. */
    static List<Operation> generate(long seed, int keys, int operations, int clients, int maxSlack,
                                    double unknownRate) {
        Random random = new Random(seed);
        Map<String, String> model = new HashMap<>();
        long[] clientFreeAt = new long[clients];
        List<Operation> ops = new ArrayList<>(operations);
        long now = 0;
        for (long id = 0; id < operations; id++) {
            now += 1 + random.nextInt(3);
            int client = random.nextInt(clients);
            if (clientFreeAt[client] >= now) {
                for (int c = 0; c < clients; c++) {
                    if (clientFreeAt[c] < clientFreeAt[client]) {
                        client = c;
                    }
                }
                now = Math.max(now, clientFreeAt[client] + 1);
            }
            long invoke = Math.max(clientFreeAt[client] + 1, now - random.nextInt(maxSlack + 1));
            long complete = now + random.nextInt(maxSlack + 1);
            clientFreeAt[client] = complete;
            String key = "k" + random.nextInt(keys);
            String state = model.get(key);
            Operation op = switch (random.nextInt(10)) {
                case 0, 1, 2, 3 -> Operation.get(id, client, key, invoke, complete, state);
                case 4, 5 -> Operation.set(id, client, key, randomValue(random), invoke, complete);
                case 6 -> Operation.delete(id, client, key, invoke, complete, random.nextBoolean() ? state != null : null);
                case 7, 8 -> {
                    String expected = random.nextInt(4) == 0 ? null
                        : random.nextBoolean() && state != null ? state : randomValue(random);
                    boolean swaps = expected == null ? state == null : expected.equals(state);
                    yield Operation.cas(id, client, key, expected, randomValue(random), invoke, complete, swaps);
                }
                default -> {
                    long delta = random.nextInt(7) - 3;
                    Long after = RegisterModel.incremented(state, delta);
                    Operation inc = Operation.increment(id, client, key, delta, invoke, complete, after == null ? 0 : after);
                    yield after == null ? inc.asFailed() : inc;
                }
            };
            double fate = random.nextDouble();
            if (op.outcome() == Outcome.OK && op.kind() != Operation.Kind.GET && fate < unknownRate) {
                op = op.asUnknown();
                if (random.nextBoolean()) {
                    ops.add(op);
                    continue;
                }
            } else if (op.outcome() == Outcome.OK && fate < unknownRate * 1.5) {
                ops.add(op.asFailed());
                continue;
            }
            if (op.outcome() != Outcome.FAIL) {
                // an UNKNOWN write that took effect does what the store does, whatever its lost answer was
                String after = RegisterModel.apply(state, op);
                if (after == null) {
                    model.remove(key);
                } else {
                    model.put(key, after);
                }
            }
            ops.add(op);
        }
        return ops;
    }

    private static String randomValue(Random random) {
        return random.nextInt(8) == 0 ? "x" + random.nextInt(3) : Integer.toString(random.nextInt(10) - 2);
    }

    @Test
    void historiesFromASequentialExecutionAreLinearizable() {
        LinearizabilityChecker checker = new LinearizabilityChecker();
        for (long seed = 0; seed < SEEDS; seed++) {
            List<Operation> ops = generate(seed, 3, 60, 4, 12, 0.1);
            CheckReport report = checker.check(ops);
            assertThat(report.linearizable()).as("seed %d: %s", seed, report.toText()).isTrue();
        }
    }

    @Test
    void aReadOfAValueNeverWrittenIsCaught() {
        LinearizabilityChecker checker = new LinearizabilityChecker();
        Random pick = new Random(42);
        int mutated = 0;
        for (long seed = 0; seed < SEEDS; seed++) {
            List<Operation> ops = generate(seed, 3, 60, 4, 12, 0.1);
            List<Integer> reads = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                if (ops.get(i).kind() == Operation.Kind.GET && ops.get(i).outcome() == Outcome.OK) {
                    reads.add(i);
                }
            }
            if (reads.isEmpty()) {
                continue;
            }
            int victim = reads.get(pick.nextInt(reads.size()));
            Operation changed = ops.get(victim).withRead("never-written");
            ops.set(victim, changed);
            mutated++;
            CheckReport report = checker.check(ops);
            assertThat(report.violations()).as("seed %d, op #%d: %s", seed, changed.id(), report.toText())
                .extracting(KeyResult::key).containsExactly(changed.key());
            assertThat(report.violations().get(0).blocked().key()).isEqualTo(changed.key());
        }
        assertThat(mutated).isGreaterThan(SEEDS * 9 / 10);
    }

    /** Not a speed assertion (speed lives in bench/), only that a realistic size terminates decided. */
    @Test
    void tenThousandOperationsOnFiveKeysFromTenClientsAreDecided() {
        List<Operation> ops = generate(7, 5, 10_000, 10, 25, 0.01);
        long startNs = System.nanoTime();
        CheckReport report = new LinearizabilityChecker(50_000_000, Duration.ofSeconds(60)).check(ops);
        double seconds = (System.nanoTime() - startNs) / 1e9;
        long steps = report.keys().stream().mapToLong(KeyResult::steps).sum();
        System.out.printf(Locale.ROOT, "checked %,d operations (%,d unknown) on %d keys in %.3f s, %,d steps%n",
            report.operations(), report.unknown(), report.keys().size(), seconds, steps);
        assertThat(report.keys()).extracting(KeyResult::verdict).as(report.toText()).containsOnly(Verdict.LINEARIZABLE);
    }
}
