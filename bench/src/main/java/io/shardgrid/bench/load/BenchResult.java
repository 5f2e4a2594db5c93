package io.shardgrid.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.HdrHistogram.Histogram;

/** A finished run: throughput, latency percentiles (µs), errors by code, and the per-second timeline. */
record BenchResult(String target, BenchOptions options, long operations, double seconds, Histogram latencyUs,
                   Map<String, Long> errors, List<long[]> timeline) {
    static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
    private static final ObjectMapper JSON = new ObjectMapper();

    double opsPerSecond() {
        return operations / seconds;
    }

    double percentileMs(double p) {
        return latencyUs.getValueAtPercentile(p) / 1000.0;
    }

    String summary() {
        return String.format(Locale.ROOT,
            "%s %s: %.0f ops/s over %.1f s; latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f; errors %s",
            target, options.workload(), opsPerSecond(), seconds, percentileMs(50), percentileMs(90), percentileMs(99),
            percentileMs(99.9), percentileMs(100), errors.isEmpty() ? "none" : errors);
    }

    /** The run as JSON, for scripts ({@code bench/compare}) and the HTML page's raw data. */
    String json() {
        ObjectNode pct = JSON.createObjectNode();
        for (double p : PERCENTILES) {
            pct.put(p == 100 ? "pmax" : "p" + trim(p), round3(percentileMs(p)));
        }
        ObjectNode err = JSON.createObjectNode();
        errors.forEach(err::put);
        ArrayNode line = JSON.createArrayNode();
        for (long[] t : timeline) {
            line.addObject().put("second", t[0]).put("ops", t[1]).put("p50_ms", round3(t[2] / 1000.0))
                .put("p99_ms", round3(t[3] / 1000.0));
        }
        ArrayNode curve = JSON.createArrayNode();
        for (double p : curvePercentiles()) {
            curve.addArray().add(p).add(round3(percentileMs(p)));
        }
        BenchOptions o = options;
        ObjectNode root = JSON.createObjectNode().put("target", target).put("workload", o.workload())
            .put("read_ratio", o.readRatio()).put("keys", o.keys()).put("key_size", o.keySize())
            .put("value_size", o.valueSize()).put("zipf", o.zipf()).put("concurrency", o.concurrency())
            .put("pipeline", o.pipeline()).put("rate", o.rate()).put("duration_s", round3(seconds))
            .put("operations", operations).put("ops_per_s", Math.round(opsPerSecond() * 10) / 10.0);
        root.set("latency_ms", pct);
        root.set("errors", err);
        root.set("timeline", line);
        root.set("percentile_curve", curve);
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree of numbers and strings did not serialise", e);
        }
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** A self-contained page: the latency percentile curve and the throughput timeline as inline SVG. */
    String html() {
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Shardgrid bench</title>")
            .append("<style>body{font-family:sans-serif;margin:2em}svg{border:1px solid #ccc;margin:1em 0}</style>")
            .append("</head><body><h1>").append(escape(target)).append(' ').append(escape(options.workload()))
            .append("</h1><p>").append(escape(summary())).append("</p>");
        double[] ps = curvePercentiles();
        double[][] curve = new double[ps.length][];
        for (int i = 0; i < ps.length; i++) {
            curve[i] = new double[] {Math.log10(100.0 / (100.0 - Math.min(ps[i], 99.999))), percentileMs(ps[i])};
        }
        b.append("<h2>Latency by percentile (ms; x: 0, 90, 99, 99.9, 99.99, 99.999)</h2>").append(svg(curve));
        double[][] tput = new double[timeline.size()][];
        for (int i = 0; i < timeline.size(); i++) {
            tput[i] = new double[] {timeline.get(i)[0], timeline.get(i)[1]};
        }
        b.append("<h2>Throughput (ops/s per second of the run)</h2>").append(svg(tput));
        b.append("<h2>Raw data</h2><pre>").append(escape(json())).append("</pre></body></html>");
        return b.toString();
    }

    void write(Path json, Path html) throws IOException {
        if (json != null) {
            Files.writeString(json, json() + "\n");
        }
        if (html != null) {
            Files.writeString(html, html());
        }
    }

    private static String svg(double[][] points) {
        int w = 640;
        int h = 240;
        double maxX = 1e-9;
        double maxY = 1e-9;
        for (double[] p : points) {
            maxX = Math.max(maxX, p[0]);
            maxY = Math.max(maxY, p[1]);
        }
        StringJoiner path = new StringJoiner(" ");
        for (double[] p : points) {
            path.add(String.format(Locale.ROOT, "%.1f,%.1f", 40 + p[0] / maxX * (w - 60), h - 20 - p[1] / maxY * (h - 40)));
        }
        return String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">"
            + "<polyline fill=\"none\" stroke=\"#2a6\" stroke-width=\"2\" points=\"%s\"/>"
            + "<text x=\"4\" y=\"14\" font-size=\"12\">max %.2f</text></svg>", w, h, path, maxY);
    }

    private static double[] curvePercentiles() {
        return new double[] {0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999};
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
