package io.shardgrid.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.bench.chaos.Operation.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LinearizabilityHistoryTest {
    /** Threads hammer a ConcurrentHashMap (atomic per key, so linearizable) and record what they see. */
    @Test
    void historyRecordedByConcurrentClientsOfAnAtomicMapIsLinearizable() throws Exception {
        History history = new History();
        Map<String, String> map = new ConcurrentHashMap<>();
        int clients = 4;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    Random random = new Random(client);
                    for (int i = 0; i < 500; i++) {
                        String key = "k" + random.nextInt(3);
                        switch (random.nextInt(5)) {
                            case 0 -> {
                                History.Pending p = history.invokeGet(client, key);
                                p.okRead(map.get(key));
                            }
                            case 1 -> {
                                String v = Integer.toString(random.nextInt(5));
                                History.Pending p = history.invokeSet(client, key, v);
                                map.put(key, v);
                                p.ok();
                            }
                            case 2 -> {
                                History.Pending p = history.invokeDelete(client, key);
                                p.okDeleted(map.remove(key) != null);
                            }
                            case 3 -> {
                                String expected = Integer.toString(random.nextInt(5));
                                String v = Integer.toString(random.nextInt(5));
                                History.Pending p = history.invokeCas(client, key, expected, v);
                                p.okSwapped(map.replace(key, expected, v));
                            }
                            default -> {
                                History.Pending p = history.invokeIncrement(client, key, 1);
                                long[] result = {0};
                                boolean[] wrongType = {false};
                                map.compute(key, (k, old) -> {
                                    Long after = RegisterModel.incremented(old, 1);
                                    if (after == null) {
                                        wrongType[0] = true;
                                        return old;
                                    }
                                    result[0] = after;
                                    return Long.toString(after);
                                });
                                if (wrongType[0]) {
                                    p.fail();
                                } else {
                                    p.okIncremented(result[0]);
                                }
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        CheckReport report = new LinearizabilityChecker().check(history);
        assertThat(report.operations()).isEqualTo(2000);
        assertThat(report.linearizable()).as(report.toText()).isTrue();
    }

    @Test
    void anOperationNeverAnsweredCountsAsUnknown() {
        AtomicLong clock = new AtomicLong();
        History history = new History(clock::incrementAndGet);
        history.invokeSet(0, "k", "1").ok();
        history.invokeSet(1, "k", "2");
        history.invokeGet(2, "k").okRead("2");
        List<Operation> ops = history.operations();
        assertThat(ops).extracting(Operation::outcome).containsExactly(Outcome.OK, Outcome.UNKNOWN, Outcome.OK);
        assertThat(ops.get(1).completeNs()).isEqualTo(Operation.NEVER);
        assertThat(new LinearizabilityChecker().check(history).linearizable()).isTrue();
    }

    @Test
    void anOperationCompletesOnceWithItsOwnKindOfAnswer() {
        History history = new History();
        History.Pending set = history.invokeSet(0, "k", "1");
        set.ok();
        assertThatThrownBy(set::unknown).isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        History.Pending get = history.invokeGet(0, "k");
        assertThatThrownBy(() -> get.okSwapped(true)).hasMessageContaining("is a GET, not a CAS");
        assertThatThrownBy(get::ok).hasMessageContaining("complete it with the answer");
        get.okRead("1");
        assertThat(history.byKey().get("k")).hasSize(2);
    }
}
