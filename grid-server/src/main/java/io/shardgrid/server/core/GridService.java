package io.shardgrid.server.core;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.common.limits.Limits;
import io.shardgrid.common.routing.Partitioner;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.ConsensusGroups;
import io.shardgrid.server.core.ports.MemoryPressure;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteCommand;
import io.shardgrid.server.core.ports.WriteResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The request path shared by every API (gRPC, HTTP): validate at the edge, find the partition,
 * check that this node may serve it, then read from the local store or write through consensus.
 *
 * <p>Every failure surfaces as a {@link GridException} (synchronously for bad input, or as the
 * future's cause) so the transports map one error model onto their wire.
 *
 * <p>A write the partition's leader kept out of the log for memory (FULL: admission is decided
 * there, before the log, see docs/MEMORY.md) is retried after {@link MemoryPressure} evicted some
 * keys, as long as eviction frees something (at most {@link #MAX_ROOM_ATTEMPTS} times), so under
 * an eviction policy writes do not fail for memory. A FULL write changed nothing on any replica,
 * so running it again is safe.
 */
public final class GridService {
    private static final ThreadLocal<ReadBuffers> READ_BUFFERS = ThreadLocal.withInitial(ReadBuffers::new);

    private final ConsensusGroups groups;
    private final Supplier<Partitioner> partitioner;
    private final Limits limits;
    private final Clock clock;
    private final LongSupplier mapEpoch;
    private final MemoryPressure memory;

    /** Evictions one write waits for before its FULL stands. */
    static final int MAX_ROOM_ATTEMPTS = 32;

    public GridService(ConsensusGroups groups, Supplier<Partitioner> partitioner, Limits limits, Clock clock,
                       LongSupplier mapEpoch) {
        this(groups, partitioner, limits, clock, mapEpoch, MemoryPressure.NONE);
    }

    public GridService(ConsensusGroups groups, Supplier<Partitioner> partitioner, Limits limits, Clock clock,
                       LongSupplier mapEpoch, MemoryPressure memory) {
        this.memory = memory;
        this.groups = groups;
        this.partitioner = partitioner;
        this.limits = limits;
        this.clock = clock;
        this.mapEpoch = mapEpoch;
    }

    public Limits limits() {
        return limits;
    }

    public int partitionOf(byte[] key) {
        return partitioner.get().partitionOf(key);
    }

    /** Whether this node leads the key's partition (the HTTP API forwards when it does not). */
    public boolean leadsKey(byte[] key) {
        return groups.isLeader(partitioner.get().partitionOf(key));
    }

    public String leaderOfKey(byte[] key) {
        return groups.leaderOf(partitioner.get().partitionOf(key)).orElse("");
    }

    /**
     * Reads {@code key}. Linearizable reads are served by the leader after a read barrier;
     * {@code staleOk} reads by any local replica at once.
     */
    public CompletableFuture<GetResult> get(byte[] key, boolean staleOk) {
        limits.checkKey(key.length);
        int p = partitioner.get().partitionOf(key);
        if (staleOk && groups.hosts(p)) {
            try {
                return CompletableFuture.completedFuture(readOwned(p, key));
            } catch (GridException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (!groups.isLeader(p)) {
            return CompletableFuture.failedFuture(notLeader(p));
        }
        return groups.readBarrier(p).thenApply(ignored -> readOwned(p, key));
    }

    /**
     * Reads the local replica, then checks it still owns the key: a split narrows the range before
     * it removes the moved keys, so a read that finds the range unchanged afterwards read before
     * any removal, and one that does not answers STALE_EPOCH rather than a false "absent".
     */
    private GetResult readOwned(int p, byte[] key) {
        GetResult result = readLocal(p, key);
        if (!groups.owns(p, key)) {
            throw moved(p);
        }
        return result;
    }

    /** Validates {@code command} against the limits and commits it through the partition's log. */
    public CompletableFuture<WriteResult> write(WriteCommand command) {
        validate(command);
        int p = partitioner.get().partitionOf(command.key());
        if (!groups.isLeader(p)) {
            return CompletableFuture.failedFuture(notLeader(p));
        }
        return makingRoom(p, command, groups.write(p, List.of(command)).get(0), MAX_ROOM_ATTEMPTS);
    }

    private CompletableFuture<WriteResult> makingRoom(int p, WriteCommand command, CompletableFuture<WriteResult> write,
                                                      int attemptsLeft) {
        return write.thenCompose(result -> {
            if (result.status() == PartitionStore.MOVED) {
                return CompletableFuture.failedFuture(moved(p));
            }
            if (result.status() != PartitionStore.FULL || attemptsLeft == 0) {
                return CompletableFuture.completedFuture(result);
            }
            return memory.relieve(p).thenCompose(freed -> freed
                ? makingRoom(p, command, groups.write(p, List.of(command)).get(0), attemptsLeft - 1)
                : CompletableFuture.completedFuture(result));
        });
    }

    /**
     * Commits {@code commands} (one client message) with one call per partition, so that the writes
     * of a message to one partition share a raft entry. Futures are in the order of
     * {@code commands}; a command that fails validation or routing fails alone.
     */
    public List<CompletableFuture<WriteResult>> writeAll(List<WriteCommand> commands) {
        List<CompletableFuture<WriteResult>> futures = new ArrayList<>(commands.size());
        Map<Integer, List<Integer>> byPartition = new HashMap<>();
        Partitioner current = partitioner.get();
        for (int i = 0; i < commands.size(); i++) {
            futures.add(null);
            WriteCommand command = commands.get(i);
            try {
                validate(command);
            } catch (RuntimeException e) {
                futures.set(i, CompletableFuture.failedFuture(e));
                continue;
            }
            byPartition.computeIfAbsent(current.partitionOf(command.key()), p -> new ArrayList<>()).add(i);
        }
        byPartition.forEach((p, indexes) -> {
            if (!groups.isLeader(p)) {
                CompletableFuture<WriteResult> failed = CompletableFuture.failedFuture(notLeader(p));
                indexes.forEach(i -> futures.set(i, failed));
                return;
            }
            List<WriteCommand> toPartition = new ArrayList<>(indexes.size());
            indexes.forEach(i -> toPartition.add(commands.get(i)));
            List<CompletableFuture<WriteResult>> results = groups.write(p, toPartition);
            for (int k = 0; k < indexes.size(); k++) {
                int i = indexes.get(k);
                futures.set(i, makingRoom(p, commands.get(i), results.get(k), MAX_ROOM_ATTEMPTS));
            }
        });
        return futures;
    }

    private void validate(WriteCommand command) {
        limits.checkKey(command.key().length);
        limits.checkValue(command.value().length);
        limits.checkValue(command.expected().length);
        Limits.checkTtl(command.ttlMs());
    }

    private GetResult readLocal(int p, byte[] key) {
        PartitionStore store = groups.store(p);
        ReadBuffers buffers = READ_BUFFERS.get();
        buffers.key.wrap(key);
        // Never earlier than the partition's clock: a node whose wall clock stepped back must not
        // serve a key as live that an applied write already saw expire.
        long nowMs = Math.max(clock.nowMs(), groups.partitionClockMs(p));
        int length = store.get(buffers.key, 0, key.length, nowMs, buffers.value, 0);
        if (length == PartitionStore.ABSENT) {
            return GetResult.absent();
        }
        byte[] value = new byte[length];
        buffers.value.getBytes(0, value);
        long expireAtMs = store.expireAtMs(buffers.key, 0, key.length, nowMs);
        return new GetResult(true, value, Math.max(0, expireAtMs));
    }

    private GridException notLeader(int p) {
        if (!groups.hosts(p) && groups.leaderOf(p).isEmpty()) {
            return new GridException(GridErrorCode.NOT_LEADER, "this node holds no replica of partition " + p,
                "", mapEpoch.getAsLong(), null);
        }
        return GridException.notLeader(p, groups.leaderOf(p).orElse(""), mapEpoch.getAsLong());
    }

    /**
     * STALE_EPOCH for a key a split moved out of partition {@code p}: nothing was read or changed;
     * the caller refreshes its map (which names the new owner once the split is recorded) and retries.
     */
    private GridException moved(int p) {
        long epoch = mapEpoch.getAsLong();
        return new GridException(GridErrorCode.STALE_EPOCH, "partition " + p + " split; the key now belongs to"
            + " another partition (map epoch " + epoch + " or later); refresh the map", "", epoch, null);
    }

    /** Per-thread buffers so a read allocates only the value it returns. */
    private static final class ReadBuffers {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[0]);
        final ExpandableArrayBuffer value = new ExpandableArrayBuffer(1024);
    }
}
