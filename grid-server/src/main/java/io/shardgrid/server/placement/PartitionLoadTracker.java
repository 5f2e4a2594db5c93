package io.shardgrid.server.placement;

import io.shardgrid.server.core.ports.LocalReplicas;
import io.shardgrid.server.placement.PeerProbe.LeaderLoad;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the leaders' operation counters (client writes appended plus linearizable reads served),
 * sampled once per placement round, into the rate each
 * partition sustained: a partition is hot once every round of a whole window measured at least the
 * threshold, and its sustained rate is the lowest of those rounds. A new leader (or a restarted
 * one) starts the measure afresh, since its counter counts from its own start.
 */
final class PartitionLoadTracker {
    private final long hotOpsPerSec;
    private final long windowMs;
    private final Map<Integer, Sample> last = new HashMap<>();
    private final Map<Integer, HotRun> hot = new HashMap<>();

    private record Sample(String leader, long ops, long atMs) {
    }

    /** Rounds in a row at or over the threshold: since when, and the lowest rate among them. */
    private record HotRun(long sinceMs, long lowestPerSec) {
    }

    PartitionLoadTracker(long hotOpsPerSec, long windowMs) {
        this.hotOpsPerSec = hotOpsPerSec;
        this.windowMs = windowMs;
    }

    /** As {@link #update(Map, long)}, with the counters of the partitions {@code self} leads added to the peers'. */
    Map<Integer, Long> update(Map<Integer, LeaderLoad> peers, LocalReplicas self, String selfId, long nowMs) {
        Map<Integer, LeaderLoad> counters = new HashMap<>(peers);
        for (int p : self.hostedPartitions()) {
            if (self.isLeader(p)) {
                counters.put(p, new LeaderLoad(selfId, self.writesAppended(p) + self.readsServed(p)));
            }
        }
        return update(counters, nowMs);
    }

    /**
     * Takes one round's counters (partitions without a reported leader are forgotten) and returns,
     * per partition hot for a whole window, the rate it sustained; partitions not hot are absent.
     */
    synchronized Map<Integer, Long> update(Map<Integer, LeaderLoad> counters, long nowMs) {
        last.keySet().retainAll(counters.keySet());
        hot.keySet().retainAll(counters.keySet());
        Map<Integer, Long> sustained = new HashMap<>();
        if (hotOpsPerSec <= 0) {
            return sustained;
        }
        counters.forEach((p, now) -> {
            Sample previous = last.put(p, new Sample(now.nodeId(), now.ops(), nowMs));
            if (previous == null || !previous.leader().equals(now.nodeId()) || now.ops() < previous.ops()
                    || nowMs <= previous.atMs()) {
                hot.remove(p);
                return;
            }
            long rate = (now.ops() - previous.ops()) * 1000 / (nowMs - previous.atMs());
            if (rate < hotOpsPerSec) {
                hot.remove(p);
                return;
            }
            HotRun run = hot.merge(p, new HotRun(previous.atMs(), rate),
                (old, fresh) -> new HotRun(old.sinceMs(), Math.min(old.lowestPerSec(), fresh.lowestPerSec())));
            if (nowMs - run.sinceMs() >= windowMs) {
                sustained.put(p, run.lowestPerSec());
            }
        });
        return sustained;
    }

    /** Starts {@code partitionId}'s measure afresh (it was just split: half its load left with the child). */
    synchronized void forget(int partitionId) {
        last.remove(partitionId);
        hot.remove(partitionId);
    }
}
