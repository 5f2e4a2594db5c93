package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/grafana's dashboard queries only metrics a node really exports: every {@code shardgrid_*}
 * name in its PromQL is read off a running node's /metrics after a few requests (counters with
 * labels appear only once used), so renaming a metric without the dashboard fails here.
 */
class GrafanaDashboardIT {
    private static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "shardgrid-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\bshardgrid_[a-z_]+");

    @TempDir
    Path dir;

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        List<String> queries = queries();
        assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
        Set<String> queried = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                queried.add(m.group());
            }
        }
        Set<String> exported;
        try (InJvmGridCluster cluster = new InJvmGridCluster(dir, 1, 2, 10_000).start()) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://" + cluster.config(1).httpAddress();
            get(http, base + "/set?key=dash&value=board");
            get(http, base + "/get?key=dash");
            get(http, base + "/get?key="); // an INVALID_ARGUMENT, so an error series exists
            exported = exportedNames(get(http, base + "/metrics").body());
        }
        assertThat(exported).as("names exported by a node").isNotEmpty();
        assertThat(queried).as("metrics the dashboard queries").isNotEmpty().isSubsetOf(exported);
    }

    /** Every PromQL expression of every panel. */
    @SuppressWarnings("unchecked")
    private static List<String> queries() throws Exception {
        Map<String, Object> dashboard = new Yaml().load(Files.readString(DASHBOARD)); // JSON is YAML
        List<String> exprs = new ArrayList<>();
        for (Object panel : (List<Object>) dashboard.get("panels")) {
            for (Object target : (List<Object>) ((Map<String, Object>) panel).get("targets")) {
                exprs.add((String) ((Map<String, Object>) target).get("expr"));
            }
        }
        return exprs;
    }

    private static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
