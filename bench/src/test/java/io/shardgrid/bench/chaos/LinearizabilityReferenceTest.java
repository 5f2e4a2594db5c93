package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.bench.chaos.Operation.Kind;
import io.shardgrid.bench.chaos.Operation.Outcome;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checker against a plain exhaustive search, straight from the definition, on small histories. */
class LinearizabilityReferenceTest {
    /** Whether some order of {@code ops} (one key) respects real time and the register, UNKNOWN ones optional. */
    static boolean linearizableByDefinition(List<Operation> all) {
        List<Operation> ops = new ArrayList<>();
        for (Operation op : all) {
            if (op.outcome() != Outcome.FAIL && !(op.outcome() == Outcome.UNKNOWN && op.kind() == Kind.GET)) {
                ops.add(op);
            }
        }
        if (ops.size() > 62) {
            throw new IllegalArgumentException(ops.size() + " operations is too many for the reference");
        }
        return search(ops, 0L, null, new HashSet<>());
    }

    private static boolean search(List<Operation> ops, long placed, String state, Set<String> failed) {
        boolean allAnsweredPlaced = true;
        for (int i = 0; i < ops.size(); i++) {
            if ((placed & (1L << i)) == 0 && ops.get(i).outcome() == Outcome.OK) {
                allAnsweredPlaced = false;
            }
        }
        if (allAnsweredPlaced) {
            return true;
        }
        String memo = placed + "/" + state;
        if (failed.contains(memo)) {
            return false;
        }
        for (int i = 0; i < ops.size(); i++) {
            if ((placed & (1L << i)) != 0) {
                continue;
            }
            Operation x = ops.get(i);
            boolean mayGoNow = true;
            for (int j = 0; j < ops.size(); j++) {
                if ((placed & (1L << j)) == 0 && j != i && ops.get(j).completeNs() < x.invokeNs()) {
                    mayGoNow = false;
                }
            }
            if (mayGoNow && RegisterModel.allows(state, x)
                && search(ops, placed | (1L << i), RegisterModel.apply(state, x), failed)) {
                return true;
            }
        }
        failed.add(memo);
        return false;
    }

    @Test
    void agreesWithTheDefinitionOnSmallRandomHistories() {
        LinearizabilityChecker checker = new LinearizabilityChecker();
        int violations = 0;
        for (long seed = 0; seed < 2000; seed++) {
            List<Operation> ops = LinearizabilityPropertyTest.generate(seed, 1, 12, 3, 6, 0.25);
            Random random = new Random(seed);
            if (random.nextBoolean()) {
                // scramble some answers so that about half the histories are wrong
                for (int i = 0; i < ops.size(); i++) {
                    Operation op = ops.get(i);
                    if (op.kind() == Kind.GET && op.outcome() == Outcome.OK && random.nextInt(4) == 0) {
                        ops.set(i, op.withRead(random.nextBoolean() ? null : Integer.toString(random.nextInt(10) - 2)));
                    }
                }
            }
            boolean expected = linearizableByDefinition(ops);
            CheckReport report = checker.check(ops);
            assertThat(report.linearizable()).as("seed %d: %s%n%s", seed, report.toText(), ops).isEqualTo(expected);
            violations += expected ? 0 : 1;
        }
        assertThat(violations).isGreaterThan(200);
    }
}
