package io.shardgrid.server.memory;

import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.core.ports.MemoryPressure;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.store.MemoryBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evicts keys of the partitions this node leads when memory is tight, as Redis's
 * {@code maxmemory-policy} does, but through raft: the leader picks victims with the store's
 * sampler and replicates an EVICT for each, so every replica evicts the same keys.
 *
 * <p>Two triggers. Ahead of time, on every housekeeping pass ({@link #runOnce}): a led partition
 * whose <em>headroom</em> (the node budget still unreserved plus the free space inside the
 * partition's own slabs, which its writes reuse first) is below {@link #HEADROOM_SHARE} of its
 * share of the budget (the budget divided by the partitions this node hosts) evicts one batch per
 * pass until it has that headroom again. On demand ({@link #relieve}): a write the leader kept out
 * of the log as FULL (a burst outran the passes, or its size class needed a new slab) asks for a
 * batch and is retried once the batch has been applied (see {@code GridService}).
 *
 * <p>Sampling runs only on the housekeeping {@code executor} (the store's sampler takes one caller
 * at a time); at most one batch per partition is in flight, and concurrent requests share it.
 */
public final class Evictor implements MemoryPressure {
    private static final Logger LOG = LoggerFactory.getLogger(Evictor.class);

    /** Headroom, as a share of a partition's fair budget, below which it evicts ahead of time. */
    static final double HEADROOM_SHARE = 0.10;
    /** Entries sampled per batch, and the best of them evicted (Redis samples 5 per key). */
    static final int SAMPLE_SIZE = 80;
    static final int KEYS_PER_BATCH = 16;

    private final ConsensusGroups groups;
    private final Supplier<List<Integer>> hostedPartitions;
    private final MemoryBudget budget;
    private final EvictionPolicy policy;
    private final Clock clock;
    private final Executor executor;
    private final Map<Integer, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();

    public Evictor(ConsensusGroups groups, Supplier<List<Integer>> hostedPartitions, MemoryBudget budget,
                   EvictionPolicy policy, Clock clock, Executor executor) {
        if (policy == null) {
            throw new IllegalArgumentException("an evictor needs an eviction policy");
        }
        this.groups = groups;
        this.hostedPartitions = hostedPartitions;
        this.budget = budget;
        this.policy = policy;
        this.clock = clock;
        this.executor = executor;
    }

    /** The ahead-of-time trigger; returns how many partitions it asked to evict. */
    public int runOnce() {
        List<Integer> partitions = hostedPartitions.get();
        double wanted = HEADROOM_SHARE * budget.capacityBytes() / Math.max(1, partitions.size());
        long available = budget.availableBytes();
        if (available >= wanted) {
            return 0;
        }
        int asked = 0;
        for (int p : partitions) {
            try {
                if (groups.isLeader(p) && available + groups.store(p).stats().freeBytes() < wanted) {
                    relieve(p);
                    asked++;
                }
            } catch (RuntimeException e) {
                LOG.debug("eviction check of partition {} failed: {}", p, e.toString());
            }
        }
        return asked;
    }

    @Override
    public CompletableFuture<Boolean> relieve(int partitionId) {
        try {
            return inFlight.compute(partitionId, (p, running) -> running != null && !running.isDone() ? running
                : CompletableFuture.supplyAsync(() -> evictBatch(p), executor).thenCompose(f -> f)
                    .exceptionally(e -> false));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(false); // the node is stopping
        }
    }

    /** On the housekeeping thread: samples, then replicates the eviction of the best candidates. */
    private CompletableFuture<Boolean> evictBatch(int partitionId) {
        if (!groups.isLeader(partitionId)) {
            return CompletableFuture.completedFuture(false);
        }
        PartitionStore store = groups.store(partitionId);
        List<WriteCommand> victims = new ArrayList<>(KEYS_PER_BATCH);
        store.evictionCandidates(policy, SAMPLE_SIZE, KEYS_PER_BATCH, clock.nowMs(), (buffer, offset, length) -> {
            byte[] key = new byte[length];
            buffer.getBytes(offset, key);
            victims.add(WriteCommand.evict(key));
        });
        if (victims.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return CompletableFuture.allOf(groups.write(partitionId, victims).toArray(CompletableFuture[]::new))
            .thenApply(ignored -> true);
    }
}
