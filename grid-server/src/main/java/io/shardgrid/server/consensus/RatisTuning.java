package io.shardgrid.server.consensus;

import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.ServerConfig;
import java.io.File;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis settings for many groups per server on a small box.
 *
 * <p>Design notes: Ratis spends threads and buffers per division (log worker, state-machine
 * updater, election timer, appenders). With defaults a division costs an 8 MB write buffer and a
 * 4 MB preallocated segment, and the server/client thread pools are unbounded cached pools per
 * group. Here buffers are as small as the largest entry allows (the write buffer must exceed the
 * appender byte limit by 8 bytes),
 * pools are fixed-size, and election timeouts are spread wide so 3 × P groups don't all elect at
 * once after a restart.
 */
public final class RatisTuning {
    private static final Logger LOG = LoggerFactory.getLogger(RatisTuning.class);
    /** Room for an entry's own framing (entry and op headers, the protobuf envelope) beyond its payload. */
    private static final int ENTRY_FRAMING_BYTES = 64 * 1024;
    /** Sleep, count pairs: 10 immediate retries, then 500 ms (randomised ±50%) for as long as it takes. */
    static final String APPENDER_RETRY_POLICY = "1ms,10, 500ms,100000000";

    private RatisTuning() {
    }

    /** The node's Ratis settings; public so that bench's Ratis floor runs raft exactly as a node does. */
    public static RaftProperties properties(ServerConfig config, File storageDir) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(storageDir));
        RaftServerConfigKeys.setRemovedGroupsDir(p, new File(storageDir.getParentFile(), "removed-groups"));
        GrpcConfigKeys.Server.setPort(p, ServerConfig.port(config.raftAddress()));
        GrpcConfigKeys.Server.setHost(p, ServerConfig.host(config.raftAddress()));

        // Threads: fixed pools instead of a cached pool per group.
        RaftServerConfigKeys.ThreadPool.setProxyCached(p, false);
        RaftServerConfigKeys.ThreadPool.setProxySize(p, 8);
        // Ratis builds cached(size N) as ThreadPoolExecutor(0, N, 60 s, unbounded queue): at most one
        // thread per division, gone after 60 s idle: the cheapest choice with many divisions.
        RaftServerConfigKeys.ThreadPool.setServerCached(p, true);
        RaftServerConfigKeys.ThreadPool.setServerSize(p, 1);
        RaftServerConfigKeys.ThreadPool.setClientCached(p, true);
        RaftServerConfigKeys.ThreadPool.setClientSize(p, 1);
        // Avoid a CompletableFuture.*Async per append on the common pool (thread storm on 2 cores).
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);

        // Memory per division.
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf("256KB"));
        // Ratis refuses an entry larger than the appender's byte limit, so the limit must hold the
        // largest entry the batcher can close: a batch just under its byte bound plus one more op of
        // the largest key and value allowed (a 1 MiB value alone exceeded the old fixed 1 MB limit).
        long largestEntry = config.maxBatchBytes() + (long) config.limits().maxValueBytes()
            + config.limits().maxKeyBytes() + ENTRY_FRAMING_BYTES;
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(largestEntry));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(largestEntry + 8));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf("32MB"));
        GrpcConfigKeys.Server.setAsyncRequestThreadPoolCached(p, false);
        GrpcConfigKeys.Server.setAsyncRequestThreadPoolSize(p, 4);

        // Durability.
        // ASYNC: the flush index advances without waiting for the fsync ("unsafe flush"), so an
        // entry counts as replicated once it is in a quorum's memory; the fsync follows in the
        // background. (Ratis's "async flush" still waits for the fsync and cannot be combined.)
        if (config.durability() == Durability.ASYNC) {
            RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, true);
        }

        // Timing: heartbeats every ~sleep, elections spread over a wide window.
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        // A division's first election after it starts (bootstrap, restart, a split's child) comes sooner:
        // it decides how soon a (re)started cluster is ready. Pre-vote keeps a restarted follower that
        // times out before its live leader's first heartbeat from disturbing it; a joiner's division
        // starts outside its configuration and has no timer until the leader reaches it (GroupMembers).
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(700, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(10, TimeUnit.SECONDS));
        RaftServerConfigKeys.Rpc.setSleepTime(p, TimeDuration.valueOf(50, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, TimeDuration.valueOf(2, TimeUnit.SECONDS));
        // A leader retries a follower that fails: Ratis's default backs off to 1 s after 10
        // failures and to 5 s after 30, so a node restarted ~10 s after a crash went unheard for up
        // to 5 s per group (its replicas ran pre-votes meanwhile, and it could not be ready). Keep
        // retrying every 0.25-0.75 s: one refused connection per group, cheap against a dead node.
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);

        // Linearizable reads, served under the leader lease when it is valid.
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
        // Lease = 0.9 × the 1 s minimum election timeout: the 100 ms left over bounds ReadBarrier's
        // lease window (PartitionReadBarriers.LEASE_READ_WINDOW_NS).
        RaftServerConfigKeys.Read.setLeaderLeaseTimeoutRatio(p, 0.9);

        // Snapshots: every partition snapshots its store and the log is purged behind it.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotEveryEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, config.snapshotEveryEntries()));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf("4MB"));
        applyOverrides(p, System.getProperties());
        return p;
    }

    /**
     * Any JVM system property named like a Ratis key ({@code -Draft.server.…=…}) overrides the
     * setting above: how a single setting is measured without a rebuild (see bench/README).
     */
    static void applyOverrides(RaftProperties p, Properties system) {
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith("raft.")) {
                LOG.info("Ratis setting {} = {} (from a system property)", name, system.getProperty(name));
                p.set(name, system.getProperty(name));
            }
        }
    }
}
