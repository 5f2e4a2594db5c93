package io.shardgrid.server;

import io.shardgrid.common.concurrent.DaemonThreads;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.consensus.Membership;
import io.shardgrid.server.placement.PlacementDriver;
import io.shardgrid.server.consensus.RatisNode;
import io.shardgrid.server.consensus.Readiness;
import io.shardgrid.server.core.GridService;
import io.shardgrid.server.core.ports.Clock;
import io.shardgrid.server.core.ports.MemoryPressure;
import io.shardgrid.server.memory.Evictor;
import io.shardgrid.server.memory.ExpirySweeper;
import io.shardgrid.server.store.MemoryBudget;
import io.shardgrid.server.store.OffHeapPartitionStore;
import io.shardgrid.server.store.OverBudget;
import io.shardgrid.server.transport.GridAdminService;
import io.shardgrid.server.transport.GridDataService;
import io.shardgrid.server.transport.GridMetrics;
import io.shardgrid.server.transport.GridRoutingService;
import io.shardgrid.server.transport.GrpcApi;
import io.shardgrid.server.transport.JoinClient;
import io.shardgrid.server.transport.PeerLivenessProbe;
import io.shardgrid.server.transport.TlsContexts;
import io.shardgrid.server.transport.TokenInterceptor;
import io.shardgrid.server.transport.http.HttpApi;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Shardgrid node: wires the off-heap stores, the Ratis server, the request path and the gRPC
 * and HTTP APIs, then bootstraps or joins a cluster as configured.
 */
public final class GridNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GridNode.class);

    private final ServerConfig config;
    private final Clock clock;
    private final MemoryBudget budget;
    private final RatisNode raft;
    private final Membership membership;
    private final ExecutorService adminExecutor;
    private final PeerLivenessProbe livenessProbe;
    /** This node's TLS material (or plaintext builders when TLS is off), shared by every transport. */
    private final TlsContexts tls;
    private final PlacementDriver placement;
    /** One thread for memory upkeep (expiry, eviction) of the partitions this node leads. */
    private final ScheduledExecutorService housekeeping;
    private final ExpirySweeper expirySweeper;
    /** Null under {@code --eviction none}. */
    private final Evictor evictor;
    /** Set by the API start-up thread; read after it ended (start) or at close. */
    private volatile GrpcApi grpc;
    private volatile HttpApi http;
    private volatile boolean membershipSettled;
    private final Readiness readiness;
    /** Until the node is first ready: logs that moment (see {@link #logWhenReady}). */
    private volatile ScheduledFuture<?> readyWatch;
    private static final long READY_POLL_MS = 100;
    /** Polls so far; housekeeping thread only. */
    private int readyPolls;

    public GridNode(ServerConfig config) throws IOException {
        this(config, Clock.SYSTEM);
    }

    /** A node that reads wall time from {@code clock} everywhere (write stamps, reads, expiry, eviction). */
    public GridNode(ServerConfig config, Clock clock) throws IOException {
        // Ratis registers an MBean for every raft group it starts; the first registration makes the
        // JDK build its platform MBean server (~0.2 s), and a restart's groups, started in parallel,
        // all waited for it. Built here, beside the rest of the node's set-up.
        DaemonThreads.named(config.nodeId() + "-jmx-init").newThread(ManagementFactory::getPlatformMBeanServer).start();
        this.config = config;
        this.clock = clock;
        this.budget = new MemoryBudget(config.memoryBytes());
        this.tls = new TlsContexts(config.tls());
        // Replicas apply every entry their leader admitted, past the budget if need be (docs/MEMORY.md).
        this.raft = new RatisNode(config, p -> new OffHeapPartitionStore(p, budget, OverBudget.OVERSHOOT),
            clock, tls.credentials());
        this.membership = new Membership(raft);
        this.livenessProbe = new PeerLivenessProbe(config.nodeId(), raft::localLeader, tls, config.clientToken());
        this.placement = new PlacementDriver(raft, membership, config.placement(), config.nodeId(), livenessProbe);
        this.adminExecutor = Executors.newFixedThreadPool(2, DaemonThreads.named(config.nodeId() + "-admin"));
        this.housekeeping =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(config.nodeId() + "-housekeeping"));
        this.expirySweeper = new ExpirySweeper(raft, raft::hostedPartitions, clock, HOUSEKEEPING_INTERVAL_MS);
        this.readiness = new Readiness(config.nodeId(), raft, () -> membershipSettled);
        this.evictor = config.eviction().policy() == null ? null
            : new Evictor(raft, raft::hostedPartitions, budget, config.eviction().policy(), clock, housekeeping);
    }

    /** How often the TLS files are checked for a change; {@code -Dshardgrid.tls.reload-seconds} (tests: 1). */
    static final long TLS_RELOAD_SECONDS = Long.getLong("shardgrid.tls.reload-seconds", 10);

    /** How often the housekeeping thread looks at the partitions this node leads. */
    static final long HOUSEKEEPING_INTERVAL_MS = 100;

    public GridNode start() throws IOException {
        long startedNs = System.nanoTime();
        // How long the JVM took to get here (class loading, picocli, config): the first phase of start-up.
        long jvmMs = ProcessHandle.current().info().startInstant()
            .map(t -> System.currentTimeMillis() - t.toEpochMilli()).orElse(-1L);
        LOG.info("{}: starting with {} ({} ms after the process started)", config.nodeId(), config, jvmMs);
        if (config.adminToken().isEmpty()) {
            LOG.warn("{}: no admin token (--admin-token or SHARDGRID_ADMIN_TOKEN): HTTP /join is open to anyone "
                + "who can reach this port, and the admin API and /debug/profile refuse every call", config.nodeId());
        }
        raft.start();
        long raftMs = msSince(startedNs);
        // The APIs start (mostly class loading: gRPC, Netty, the HTTP server) on their own thread
        // while this one bootstraps, which mostly waits on raft group creation and elections.
        FutureTask<Long> apis = new FutureTask<>(() -> {
            startApis();
            return msSince(startedNs);
        });
        Thread apiStarter = new Thread(apis, config.nodeId() + "-api-start");
        apiStarter.setDaemon(true);
        apiStarter.start();
        try {
            if (config.bootstrap()) {
                membership.bootstrap(config.partitions(), config.replication(), config.bootstrapExpect());
            } else if (!config.join().isEmpty() && !raft.hasGroups()) {
                // A node joins only once its ports are bound: the map must never name addresses
                // that a node failing to start does not serve.
                awaitApis(apis);
                new JoinClient(config, tls).join(config.join());
            }
        } catch (IOException | RuntimeException e) {
            try {
                awaitApis(apis); // so that close() finds and stops them
            } catch (IOException | RuntimeException apiFailure) {
                e.addSuppressed(apiFailure);
            }
            throw e;
        }
        long membershipMs = msSince(startedNs);
        long apisMs = awaitApis(apis);
        membershipSettled = true;
        LOG.info("{}: start-up so far: raft server {} ms, then APIs {} ms, and bootstrap or join {} ms (in parallel)",
            config.nodeId(), raftMs, apisMs - raftMs, membershipMs - raftMs);
        placement.start();
        housekeeping.scheduleWithFixedDelay(this::housekeep, HOUSEKEEPING_INTERVAL_MS, HOUSEKEEPING_INTERVAL_MS,
            TimeUnit.MILLISECONDS);
        // Rotated certificate files are picked up here (NodeCredentials); a file read every few seconds.
        tls.credentials().ifPresent(credentials -> housekeeping.scheduleWithFixedDelay(credentials::reloadIfChanged,
            TLS_RELOAD_SECONDS, TLS_RELOAD_SECONDS, TimeUnit.SECONDS));
        readyWatch = housekeeping.scheduleWithFixedDelay(() -> logWhenReady(startedNs), READY_POLL_MS, READY_POLL_MS,
            TimeUnit.MILLISECONDS);
        return this;
    }

    private void startApis() throws IOException {
        // The transport sees the Ratis node and membership only through core.ports (LayeringTest).
        GridMetrics metrics = new GridMetrics(raft, raft, budget);
        GridService service = new GridService(raft, raft::partitioner, config.limits(), clock,
            raft::mapEpoch, evictor == null ? MemoryPressure.NONE : evictor);
        TokenInterceptor adminToken = TokenInterceptor.forAdmin(config.adminToken());
        TokenInterceptor clientToken = TokenInterceptor.forClients(config.clientToken());
        grpc = new GrpcApi(config, tls, new GridDataService(service, raft::map, metrics),
            new GridRoutingService(raft, raft, raft),
            new GridAdminService(raft, raft, membership, placement, adminExecutor, config.placement().downAfter().toMillis()),
            adminToken, clientToken).start();
        http = new HttpApi(config, service, raft, membership, metrics, adminToken, clientToken, readiness, tls);
        http.start();
        LOG.info("{}: gRPC API on {}", config.nodeId(), config.grpcAddress());
    }

    /** Waits for {@link #startApis} and rethrows what it threw (a port taken, say) as it was. */
    private static long awaitApis(FutureTask<Long> apis) throws IOException {
        try {
            return apis.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the APIs started");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("the APIs failed to start", e.getCause());
        }
    }

    private static long msSince(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    /**
     * Logs "ready" once, when {@code /health/ready} would first answer 200, and how long after
     * {@link #start()} began it took; until then, every 5 s, what it is waiting for.
     */
    private void logWhenReady(long startedNs) {
        String why = readiness.notReadyReason();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNs);
        if (why == null) {
            LOG.info("{}: ready {} ms after start (every local replica knows its leader and has caught up)",
                config.nodeId(), ms);
            ScheduledFuture<?> watch = readyWatch;
            if (watch != null) {
                watch.cancel(false);
            }
        } else if (++readyPolls % (5_000 / READY_POLL_MS) == 0) {
            LOG.info("{}: not ready yet after {} ms: {}", config.nodeId(), ms, why);
        }
    }

    /** A throw would cancel the schedule for good, so every pass catches what it did not expect. */
    private void housekeep() {
        try {
            expirySweeper.runOnce();
            if (evictor != null) {
                evictor.runOnce();
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: housekeeping pass failed", config.nodeId(), e);
        }
    }

    public ServerConfig config() {
        return config;
    }

    public RatisNode raft() {
        return raft;
    }

    public PlacementDriver placement() {
        return placement;
    }

    public Membership membership() {
        return membership;
    }

    @Override
    public void close() throws IOException {
        LOG.info("{}: stopping", config.nodeId());
        if (http != null) {
            http.close();
        }
        if (grpc != null) {
            grpc.close();
        }
        adminExecutor.shutdownNow();
        housekeeping.shutdownNow();
        placement.close();
        livenessProbe.close();
        raft.close();
    }
}
