package io.shardgrid.server.transport;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.server.core.ports.LocalReplicas;
import io.shardgrid.server.core.ports.PartitionMaps;
import io.shardgrid.server.core.ports.StoreStats;
import io.shardgrid.server.store.MemoryBudget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntToDoubleFunction;

/**
 * This node's Prometheus metrics: requests and their latency by operation and outcome, store
 * memory, and per partition whether this node leads it and how far its replica has applied.
 */
public final class GridMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;

    public GridMetrics(LocalReplicas replicas, PartitionMaps maps, MemoryBudget budget) {
        requests = Counter.builder().name("shardgrid_requests_total")
            .help("Requests served, by operation and grid error code").labelNames("op", "code").register(registry);
        latency = Histogram.builder().name("shardgrid_request_seconds")
            .help("Request latency as the server saw it, by operation").labelNames("op")
            .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5)
            .register(registry);
        GaugeWithCallback.builder().name("shardgrid_store_budget_used_bytes")
            .help("Off-heap bytes charged to this node's memory budget")
            .callback(cb -> cb.call(budget.usedBytes())).register(registry);
        GaugeWithCallback.builder().name("shardgrid_store_budget_capacity_bytes")
            .help("This node's off-heap memory budget")
            .callback(cb -> cb.call(budget.capacityBytes())).register(registry);
        perPartition(replicas, "shardgrid_store_keys", "Keys held, per partition replica",
            p -> replicas.store(p).stats().keys());
        perPartition(replicas, "shardgrid_store_live_bytes", "Key and value bytes, per partition replica",
            p -> replicas.store(p).stats().liveBytes());
        perPartition(replicas, "shardgrid_store_allocated_bytes",
            "Bytes charged to the memory budget (entries, index, free space in slabs), per partition replica",
            p -> replicas.store(p).stats().allocatedBytes());
        perPartition(replicas, "shardgrid_store_fragmentation_ratio",
            "Share of the allocated bytes that is free space inside slabs, per partition replica",
            p -> replicas.store(p).stats().fragmentation());
        perPartitionCounter(replicas, "shardgrid_store_expired",
            "Entries freed because their deadline passed (expiry sweep, rewrite or snapshot), per partition replica",
            p -> replicas.store(p).stats().expiredCount());
        perPartitionCounter(replicas, "shardgrid_store_evicted",
            "Entries evicted through the raft log under the eviction policy, per partition replica",
            p -> replicas.store(p).stats().evictedCount());
        GaugeWithCallback.builder().name("shardgrid_node_store_live_bytes")
            .help("Key and value bytes of every partition replica on this node")
            .callback(cb -> cb.call(nodeStats(replicas).liveBytes())).register(registry);
        GaugeWithCallback.builder().name("shardgrid_node_store_allocated_bytes")
            .help("Bytes the partition replicas on this node have allocated")
            .callback(cb -> cb.call(nodeStats(replicas).allocatedBytes())).register(registry);
        GaugeWithCallback.builder().name("shardgrid_node_store_fragmentation_ratio")
            .help("Share of this node's allocated store bytes that is free space inside slabs")
            .callback(cb -> cb.call(nodeStats(replicas).fragmentation())).register(registry);
        CounterWithCallback.builder().name("shardgrid_node_store_expired")
            .help("Entries freed by expiry in the partition replicas this node holds now")
            .callback(cb -> cb.call(nodeStats(replicas).expiredCount())).register(registry);
        CounterWithCallback.builder().name("shardgrid_node_store_evicted")
            .help("Entries evicted in the partition replicas this node holds now")
            .callback(cb -> cb.call(nodeStats(replicas).evictedCount())).register(registry);
        perPartition(replicas, "shardgrid_partition_leader", "1 if this node leads the partition, else 0",
            p -> replicas.isLeader(p) ? 1 : 0);
        perPartition(replicas, "shardgrid_raft_term", "Raft term of this replica (a rise without a fault or a "
            + "leader change is a needless election)", replicas::currentTerm);
        perPartition(replicas, "shardgrid_raft_commit_index", "Raft commit index known to this replica",
            replicas::commitIndex);
        perPartition(replicas, "shardgrid_raft_applied_index", "Raft index applied to this replica's store",
            replicas::appliedIndex);
        perPartition(replicas, "shardgrid_raft_log_failed", "1 if this replica's raft log stopped on an I/O error "
            + "(it stays stopped until the node restarts), else 0", p -> replicas.logFailure(p).isPresent() ? 1 : 0);
        CounterWithCallback.builder().name("shardgrid_write_entries_total")
            .help("Raft entries appended for client writes by the partitions this node leads")
            .callback(cb -> cb.call(replicas.entriesAppended())).register(registry);
        CounterWithCallback.builder().name("shardgrid_write_ops_total")
            .help("Client writes carried by those entries (writes per entry = this / entries)")
            .callback(cb -> cb.call(replicas.writesAppended())).register(registry);
        GaugeWithCallback.builder().name("shardgrid_map_epoch").help("Partition map epoch this node knows")
            .callback(cb -> cb.call(maps.mapEpoch())).register(registry);
    }

    private void perPartition(LocalReplicas replicas, String name, String help, IntToDoubleFunction value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("partition")
            .callback(cb -> {
                for (int p : replicas.hostedPartitions()) {
                    cb.call(value.applyAsDouble(p), Integer.toString(p));
                }
            }).register(registry);
    }

    private void perPartitionCounter(LocalReplicas replicas, String name, String help, IntToDoubleFunction value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("partition")
            .callback(cb -> {
                for (int p : replicas.hostedPartitions()) {
                    cb.call(value.applyAsDouble(p), Integer.toString(p));
                }
            }).register(registry);
    }

    /** The sum over this node's replicas; a partition leaving between the listing and the read counts as empty. */
    private static StoreStats nodeStats(LocalReplicas replicas) {
        StoreStats sum = new StoreStats(0, 0, 0, 0, 0, 0);
        for (int p : replicas.hostedPartitions()) {
            try {
                sum = sum.plus(replicas.store(p).stats());
            } catch (RuntimeException e) {
                // gone meanwhile
            }
        }
        return sum;
    }

    /** One operation's series, looked up once: label lookups on every request cost a hash and an array. */
    private record OpSeries(DistributionDataPoint latency, CounterDataPoint[] byCode) {
    }

    private final Map<String, OpSeries> series = new ConcurrentHashMap<>();

    public void request(String op, GridErrorCode code, long startNs) {
        OpSeries s = series.computeIfAbsent(op, name -> new OpSeries(latency.labelValues(name),
            new CounterDataPoint[GridErrorCode.values().length]));
        CounterDataPoint count = s.byCode()[code.ordinal()];
        if (count == null) {
            // A race here only looks the same data point up twice.
            count = requests.labelValues(op, code.name());
            s.byCode()[code.ordinal()] = count;
        }
        count.inc();
        s.latency().observe((System.nanoTime() - startNs) / 1e9);
    }

    public byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toByteArray();
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
