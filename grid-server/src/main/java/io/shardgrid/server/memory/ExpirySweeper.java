package io.shardgrid.server.memory;

import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims the memory of expired entries without waiting for their keys to be touched: on every
 * pass, for each partition this node leads, it looks at a bounded run of the store's index for
 * entries whose deadline has passed and replicates an EXPIRE for the keys it found, so every
 * replica frees the same entries through the log (why the leader decides, rather than each
 * replica on its own: docs/MEMORY.md).
 *
 * <p>Bounded: a pass looks at most {@link #MAX_SLOTS_PER_PASS} index slots per partition (a read
 * on this thread, beside the apply thread) and proposes at most {@link #MAX_KEYS_PER_PASS} keys; a
 * partition with a proposal still in flight is skipped, so the apply thread gets at most one
 * EXPIRE batch per partition at a time. Once passes over about a whole table (four slots per
 * entry held) found nothing, the partition waits longer before each next pass (doubling up to
 * {@link #MAX_IDLE_DELAY_MS}), so idle partitions cost little and large ones are still walked
 * end to end at full pace.
 *
 * <p>Runs on one housekeeping thread ({@link #runOnce}); not thread-safe.
 */
public final class ExpirySweeper {
    private static final Logger LOG = LoggerFactory.getLogger(ExpirySweeper.class);

    static final int MAX_SLOTS_PER_PASS = 4096;
    static final int MAX_KEYS_PER_PASS = 512;
    static final long MAX_IDLE_DELAY_MS = 1000;

    private final ConsensusGroups groups;
    private final Supplier<List<Integer>> hostedPartitions;
    private final Clock clock;
    private final long passIntervalMs;
    private final Map<Integer, Pace> paces = new HashMap<>();

    /** When a partition's next pass may start, and whether its last proposal is still in flight. */
    private static final class Pace {
        CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);
        long nextPassAtMs;
        long idleDelayMs;
        long slotsWithoutFind;
    }

    public ExpirySweeper(ConsensusGroups groups, Supplier<List<Integer>> hostedPartitions, Clock clock,
                         long passIntervalMs) {
        if (passIntervalMs < 1) {
            throw new IllegalArgumentException("pass interval " + passIntervalMs + " ms must be positive");
        }
        this.groups = groups;
        this.hostedPartitions = hostedPartitions;
        this.clock = clock;
        this.passIntervalMs = passIntervalMs;
    }

    /** One pass over the partitions this node leads; returns how many expired keys it proposed. */
    public int runOnce() {
        long nowMs = clock.nowMs();
        List<Integer> partitions = hostedPartitions.get();
        paces.keySet().retainAll(partitions);
        int proposed = 0;
        for (int p : partitions) {
            if (!groups.isLeader(p)) {
                paces.remove(p);
                continue;
            }
            Pace pace = paces.computeIfAbsent(p, ignored -> new Pace());
            // A next pass further ahead than any pace sets means the wall clock stepped back: due now.
            boolean clockStepBack = pace.nextPassAtMs - nowMs > Math.max(MAX_IDLE_DELAY_MS, passIntervalMs);
            if (!pace.inFlight.isDone() || (nowMs < pace.nextPassAtMs && !clockStepBack)) {
                continue;
            }
            try {
                proposed += sweep(p, pace, nowMs);
            } catch (RuntimeException e) {
                // The partition may have left this node between the check and the read.
                LOG.debug("expiry pass over partition {} failed: {}", p, e.toString());
            }
        }
        return proposed;
    }

    private int sweep(int partitionId, Pace pace, long nowMs) {
        PartitionStore store = groups.store(partitionId);
        List<WriteCommand> expired = new ArrayList<>();
        store.findExpired(Math.max(nowMs, groups.partitionClockMs(partitionId)), MAX_SLOTS_PER_PASS, MAX_KEYS_PER_PASS, (buffer, offset, length) -> {
            byte[] key = new byte[length];
            buffer.getBytes(offset, key);
            expired.add(WriteCommand.expire(key));
        });
        if (expired.isEmpty()) {
            pace.slotsWithoutFind += MAX_SLOTS_PER_PASS;
            if (pace.slotsWithoutFind >= 4 * store.size()) {
                pace.idleDelayMs = Math.min(Math.max(pace.idleDelayMs * 2, passIntervalMs), MAX_IDLE_DELAY_MS);
            }
            pace.nextPassAtMs = nowMs + Math.max(pace.idleDelayMs, passIntervalMs);
            return 0;
        }
        pace.slotsWithoutFind = 0;
        pace.idleDelayMs = 0;
        pace.nextPassAtMs = nowMs;
        // A failed proposal (leadership moved, queue full) changes nothing; a later pass finds the keys again.
        pace.inFlight = CompletableFuture.allOf(groups.write(partitionId, expired).toArray(CompletableFuture[]::new))
            .exceptionally(e -> null);
        return expired.size();
    }
}
