package io.shardgrid.bench.chaos;

import io.shardgrid.client.GridClient;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Client threads sharing one {@link GridClient}, each doing random get / set / delete /
 * compare-and-set / increment one at a time and recording every call in a {@link History}.
 *
 * <p>Keys: {@code r0..r(n-1)} are registers (get, set, delete, compare-and-set, values unique per
 * call so a read names the write it saw); {@code c0..c(m-1)} are counters (get, increment, delete).
 * Increments never touch a register key, so WRONG_TYPE cannot occur and a counter's history stays
 * decimal; a delete of a counter is fine (an absent key increments from 0).
 *
 * <p>Outcomes: an answer is OK; an error that by the client's contract applied nothing (see
 * {@link #APPLIED_NOTHING}) is FAIL; everything else, including a call this workload stopped
 * waiting for, is UNKNOWN. Deletes are recorded without their "removed" flag: the client retries a
 * delete whose first attempt may have committed, and the retry then truthfully answers "nothing to
 * remove" for a delete that did remove the key.
 *
 * <p>Register writes carry a TTL of {@link #REGISTER_TTL}: far longer than a run, so the model
 * never expires a key, yet every write goes through the TTL stamping that a moved clock (the
 * nemesis's CLOCK fault, minutes of skew) could get wrong; a key that expired early shows up as a
 * read of nothing after an acknowledged write, which the checker rejects.
 */
final class ChaosWorkload {
    /** Errors that mean the operation was not applied, now or later. */
    static final Set<GridErrorCode> APPLIED_NOTHING = EnumSet.of(GridErrorCode.NOT_LEADER, GridErrorCode.STALE_EPOCH,
        GridErrorCode.INVALID_ARGUMENT, GridErrorCode.UNAUTHENTICATED, GridErrorCode.NOT_FOUND,
        GridErrorCode.CONDITION_FAILED, GridErrorCode.WRONG_TYPE, GridErrorCode.UNKNOWN_PARTITION);
    /** Outlives any chaos run (soaks included) by hours, even with the nemesis's clock skew. */
    static final Duration REGISTER_TTL = Duration.ofHours(6);
    /** The process number of the final reads after the faults stop. */
    static final int FINAL_READER = 1_000;
    /** The process number of the workload client's own reads after the final reads. */
    static final int PROBE_READER = 1_001;

    private final GridClient client;
    private final History history;
    private final List<String> registers = new ArrayList<>();
    private final List<String> counters = new ArrayList<>();
    private final long callTimeoutMs;
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    ChaosWorkload(GridClient client, History history, int registerKeys, int counterKeys, long callTimeoutMs) {
        this.client = client;
        this.history = history;
        this.callTimeoutMs = callTimeoutMs;
        for (int i = 0; i < registerKeys; i++) {
            registers.add("r" + i);
        }
        for (int i = 0; i < counterKeys; i++) {
            counters.add("c" + i);
        }
    }

    List<String> keys() {
        List<String> all = new ArrayList<>(registers);
        all.addAll(counters);
        return all;
    }

    /** Starts {@code clients} threads, each with its own random stream derived from {@code seed}. */
    void start(int clients, long seed) {
        running = true;
        for (int c = 0; c < clients; c++) {
            int process = c;
            Random random = new Random(seed * 31 + c);
            Thread t = new Thread(() -> loop(process, random), "chaos-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    void stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(callTimeoutMs + 5_000);
        }
    }

    /**
     * Reads every key through {@code reader} until one read succeeds (each attempt recorded as an
     * ordinary operation, so the checker judges the final value against every acknowledged write);
     * the keys never read. A fresh client reads what the cluster holds, whatever state the
     * workload's client got into.
     */
    List<String> finalReads(GridClient reader, long deadlineMs) throws InterruptedException {
        List<String> unread = new ArrayList<>();
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMs);
        for (String key : keys()) {
            boolean read = false;
            while (!read && System.nanoTime() < deadlineNs) {
                History.Pending p = history.invokeGet(FINAL_READER, key);
                read = complete(p, reader.get(key), r -> p.okRead(r.orElse(null))) == Operation.Outcome.OK;
                if (!read) {
                    Thread.sleep(200);
                }
            }
            if (!read) {
                unread.add(key);
            }
        }
        return unread;
    }

    /**
     * Reads every key once through {@code reader} (recorded like any read); the keys whose read did
     * not succeed. After the final reads this asks whether the workload's own client recovered.
     */
    List<String> probe(GridClient reader) {
        List<String> failed = new ArrayList<>();
        for (String key : keys()) {
            History.Pending p = history.invokeGet(PROBE_READER, key);
            if (complete(p, reader.get(key), r -> p.okRead(r.orElse(null))) != Operation.Outcome.OK) {
                failed.add(key);
            }
        }
        return failed;
    }

    /** Answers by outcome: OK, or the error code, or CLIENT_TIMEOUT / the exception's class. */
    Map<String, Long> outcomes() {
        Map<String, Long> out = new TreeMap<>();
        outcomes.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private void loop(int process, Random random) {
        Map<String, String> lastSeen = new HashMap<>();
        long seq = 0;
        while (running) {
            try {
                seq = step(process, random, lastSeen, seq);
            } catch (RuntimeException e) {
                // Thrown before the call was sent (e.g. no partition map); its op stays pending = UNKNOWN.
                count(e.getClass().getSimpleName());
            }
        }
    }

    /** One random operation; the next sequence number for unique values. */
    private long step(int process, Random random, Map<String, String> lastSeen, long seq) {
        long next = seq;
        boolean counter = random.nextInt(registers.size() + counters.size()) >= registers.size();
        int roll = random.nextInt(100);
        if (counter) {
            String key = counters.get(random.nextInt(counters.size()));
            if (roll < 40) {
                get(process, key);
            } else if (roll < 92) {
                long delta = 1 + random.nextInt(5);
                History.Pending p = history.invokeIncrement(process, key, delta);
                complete(p, client.increment(key, delta), r -> p.okIncremented(r));
            } else {
                delete(process, key);
            }
        } else {
            String key = registers.get(random.nextInt(registers.size()));
            String value = "p" + process + "-" + next++;
            if (roll < 40) {
                History.Pending p = history.invokeGet(process, key);
                complete(p, client.get(key), r -> {
                    p.okRead(r.orElse(null));
                    lastSeen.put(key, r.orElse(null));
                });
            } else if (roll < 65) {
                History.Pending p = history.invokeSet(process, key, value);
                complete(p, client.set(key, value, REGISTER_TTL), r -> {
                    p.ok();
                    lastSeen.put(key, value);
                });
            } else if (roll < 88) {
                String expected = lastSeen.get(key);
                History.Pending p = history.invokeCas(process, key, expected, value);
                complete(p, client.compareAndSet(utf8(key), expected == null ? null : utf8(expected), utf8(value),
                    REGISTER_TTL), r -> {
                        p.okSwapped(r);
                        if (r) {
                            lastSeen.put(key, value);
                        }
                    });
            } else {
                delete(process, key);
            }
        }
        return next;
    }

    private Operation.Outcome get(int process, String key) {
        History.Pending p = history.invokeGet(process, key);
        return complete(p, client.get(key), r -> p.okRead(r.orElse(null)));
    }

    private void delete(int process, String key) {
        History.Pending p = history.invokeDelete(process, key);
        complete(p, client.delete(key), r -> p.ok());
    }

    private <T> Operation.Outcome complete(History.Pending p, CompletableFuture<T> call,
                                           Consumer<T> onOk) {
        try {
            T value = call.get(callTimeoutMs, TimeUnit.MILLISECONDS);
            onOk.accept(value);
            count("OK");
            return Operation.Outcome.OK;
        } catch (TimeoutException e) {
            p.unknown();
            count("CLIENT_TIMEOUT");
            return Operation.Outcome.UNKNOWN;
        } catch (ExecutionException | CompletionException e) {
            return classify(p, e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.unknown();
            return Operation.Outcome.UNKNOWN;
        } catch (RuntimeException e) {
            return classify(p, e);
        }
    }

    private Operation.Outcome classify(History.Pending p, Throwable error) {
        Throwable e = unwrap(error);
        count(e instanceof GridException g ? g.code().name() : e.getClass().getSimpleName());
        Operation.Outcome outcome = outcomeOf(e);
        if (outcome == Operation.Outcome.FAIL) {
            p.fail();
        } else {
            p.unknown();
        }
        return outcome;
    }

    /** FAIL for an error that applied nothing, else UNKNOWN: never FAIL for something that may have applied. */
    static Operation.Outcome outcomeOf(Throwable error) {
        return unwrap(error) instanceof GridException g && APPLIED_NOTHING.contains(g.code())
            ? Operation.Outcome.FAIL : Operation.Outcome.UNKNOWN;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
