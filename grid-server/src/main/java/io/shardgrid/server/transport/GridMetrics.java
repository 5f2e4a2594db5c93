package io.shardgrid.server.transport;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.server.consensus.RatisNode;
import io.shardgrid.server.core.ports.StoreStats;
import io.shardgrid.server.store.MemoryBudget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * This node's Prometheus metrics: requests and their latency by operation and outcome, store
 * memory, and per partition whether this node leads it and how far its replica has applied.
 */
public final class GridMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;

    public GridMetrics(RatisNode node, MemoryBudget budget) {
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
        GaugeWithCallback.builder().name("shardgrid_store_keys").help("Keys held, per partition replica")
            .labelNames("partition")
            .callback(cb -> {
                for (int p : node.hostedPartitions()) {
                    StoreStats s = node.store(p).stats();
                    cb.call(s.keys(), Integer.toString(p));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("shardgrid_store_live_bytes").help("Key and value bytes, per partition replica")
            .labelNames("partition")
            .callback(cb -> {
                for (int p : node.hostedPartitions()) {
                    cb.call(node.store(p).stats().liveBytes(), Integer.toString(p));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("shardgrid_partition_leader")
            .help("1 if this node leads the partition, else 0").labelNames("partition")
            .callback(cb -> {
                for (int p : node.hostedPartitions()) {
                    cb.call(node.isLeader(p) ? 1 : 0, Integer.toString(p));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("shardgrid_raft_commit_index")
            .help("Raft commit index known to this replica").labelNames("partition")
            .callback(cb -> {
                for (int p : node.hostedPartitions()) {
                    cb.call(node.commitIndex(p), Integer.toString(p));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("shardgrid_raft_applied_index")
            .help("Raft index applied to this replica's store").labelNames("partition")
            .callback(cb -> {
                for (int p : node.hostedPartitions()) {
                    cb.call(node.appliedIndex(p), Integer.toString(p));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("shardgrid_map_epoch").help("Partition map epoch this node knows")
            .callback(cb -> cb.call(node.mapEpoch())).register(registry);
    }

    public void request(String op, GridErrorCode code, long startNs) {
        requests.labelValues(op, code.name()).inc();
        latency.labelValues(op).observe((System.nanoTime() - startNs) / 1e9);
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
