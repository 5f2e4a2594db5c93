package io.shardgrid.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.config.TlsSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * deploy/ is run for real by deploy/smoke (podman, minutes, root: not part of the build); here it
 * is checked by reading it: the Kubernetes manifests and compose.yaml parse and agree with each
 * other and with the image, and the arguments the one entrypoint gives each node, under either,
 * are accepted by the real server command.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final String ENTRYPOINT = "/opt/shardgrid/docker-entrypoint.sh";
    private static List<Map<String, Object>> documents;
    private static Map<String, Object> compose;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void parse() throws IOException {
        documents = new ArrayList<>();
        try (var files = Files.list(DEPLOY.resolve("k8s"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object doc : new Yaml().loadAll(Files.readString(file))) {
                    if (doc != null) {
                        documents.add((Map<String, Object>) doc);
                    }
                }
            }
        }
        compose = new Yaml().load(Files.readString(DEPLOY.resolve("compose.yaml")));
    }

    @Test
    void theManifestsHoldAStatefulSetItsServicesAndADisruptionBudget() {
        assertThat(documents.stream().map(d -> (String) d.get("kind")))
            .contains("StatefulSet", "Service", "PodDisruptionBudget", "Secret");
        Map<String, Object> set = only("StatefulSet");
        String serviceName = (String) at(set, "spec", "serviceName");
        Map<String, Object> headless = documents.stream().filter(d -> "Service".equals(d.get("kind"))
            && serviceName.equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
        assertThat(at(headless, "spec", "clusterIP")).isEqualTo("None");
        assertThat(at(headless, "spec", "publishNotReadyAddresses")).isEqualTo(true);
        assertThat(ports(at(headless, "spec", "ports"), "port")).containsOnly(8080, 9090, 11000);
        assertThat(ports(at(container(set), "ports"), "containerPort")).containsOnly(8080, 9090, 11000);
        assertThat(at(set, "spec", "replicas")).isEqualTo(3);
        // Pod 0 founds the cluster with the first three and is ready only once they joined.
        assertThat(at(set, "spec", "podManagementPolicy")).isEqualTo("Parallel");
        assertThat(at(only("PodDisruptionBudget"), "spec", "maxUnavailable")).isEqualTo(1);
    }

    @Test
    void probesAskTheNodesHealthEndpointsOnItsHttpPort() {
        Map<String, Object> c = container(only("StatefulSet"));
        assertThat(at(c, "livenessProbe", "httpGet", "path")).isEqualTo("/health/live");
        assertThat(at(c, "readinessProbe", "httpGet", "path")).isEqualTo("/health/ready");
        assertThat(at(c, "readinessProbe", "httpGet", "port")).isEqualTo("http");
        // A node starts in seconds: the probes must not add their period to that, and the startup
        // probe must still wait minutes for a restart that replays a long log.
        int startupPeriod = (Integer) at(c, "startupProbe", "periodSeconds");
        assertThat(startupPeriod).isLessThanOrEqualTo(1);
        assertThat(startupPeriod * (Integer) at(c, "startupProbe", "failureThreshold")).isGreaterThanOrEqualTo(300);
        assertThat((Integer) at(c, "readinessProbe", "periodSeconds")).isLessThanOrEqualTo(2);
    }

    @Test
    void podZeroBootstrapsAndTheOthersJoinItWithFlagsTheServerAccepts() throws Exception {
        ServerConfig first = parseServer(entrypointArgs("shardgrid-0"));
        assertThat(first.bootstrap()).isTrue();
        assertThat(first.bootstrapExpect()).as("bootstrap alone unless asked").isEqualTo(1);
        Map<String, String> founding = new HashMap<>(Map.of("POD_NAME", "shardgrid-0", "NAMESPACE", "prod"));
        founding.put("SHARDGRID_BOOTSTRAP_EXPECT", envOfStatefulSet("SHARDGRID_BOOTSTRAP_EXPECT"));
        assertThat(parseServer(entrypointArgs(founding)).bootstrapExpect()).isEqualTo(3);
        assertThat(first.nodeId()).isEqualTo("shardgrid-0");
        assertThat(first.grpcAddress()).isEqualTo("shardgrid-0.shardgrid.prod.svc.cluster.local:9090");

        ServerConfig second = parseServer(entrypointArgs("shardgrid-1"));
        assertThat(second.bootstrap()).isFalse();
        assertThat(second.join()).isEqualTo("shardgrid-0.shardgrid.prod.svc.cluster.local:8080");
        assertThat(second.raftAddress()).isEqualTo("shardgrid-1.shardgrid.prod.svc.cluster.local:11000");
        assertThat(second.dataDir()).isEqualTo(Path.of("/var/lib/shardgrid/data"));
        // The data directory sits on the volume the StatefulSet mounts.
        assertThat(second.dataDir().startsWith((String) ((List<Map<String, Object>>) at(
            container(only("StatefulSet")), "volumeMounts")).get(0).get("mountPath"))).isTrue();
    }

    @Test
    void theImageRunsTheEntrypointAndTheEntrypointStartsTheServersMainClass() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertThat(dockerfile).contains("ENTRYPOINT [\"" + ENTRYPOINT + "\"]")
            .contains("COPY deploy/docker-entrypoint.sh");
        assertThat(Files.readString(DEPLOY.resolve("docker-entrypoint.sh"))).contains(GridMain.class.getName());
        assertThat(Files.isExecutable(DEPLOY.resolve("docker-entrypoint.sh"))).isTrue();
    }

    @Test
    void theImageTakesItsBaseAsABuildArgumentDefaultingToAPublicJre() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertThat(dockerfile).contains("ARG BASE_IMAGE=eclipse-temurin:17-jre").contains("FROM ${BASE_IMAGE}")
            .contains("CMD [\"" + ENTRYPOINT + "\", \"health\"]");
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsThreeNodesWithTheStatefulSetsImageEntrypointVolumeAndReadinessCheck() {
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        assertThat(services).containsOnlyKeys("shardgrid-0", "shardgrid-1", "shardgrid-2");
        Map<String, Object> k8s = container(only("StatefulSet"));
        // One entrypoint: neither the StatefulSet nor compose replaces the image's.
        assertThat(k8s).doesNotContainKeys("command", "args");
        String mountPath = (String) ((List<Map<String, Object>>) k8s.get("volumeMounts")).get(0).get("mountPath");
        for (var entry : services.entrySet()) {
            Map<String, Object> service = (Map<String, Object>) entry.getValue();
            assertThat(service).as(entry.getKey()).doesNotContainKeys("entrypoint", "command");
            assertThat((String) service.get("image")).as(entry.getKey()).endsWith(":-" + k8s.get("image") + "}");
            assertThat(service.get("hostname")).isEqualTo(entry.getKey());
            assertThat(at(service, "healthcheck", "test")).isEqualTo(List.of("CMD", ENTRYPOINT, "health"));
            assertThat((List<String>) service.get("volumes")).singleElement().asString().endsWith(":" + mountPath);
            // Published on loopback only, each node's HTTP API.
            assertThat((List<String>) service.get("ports")).singleElement().asString()
                .startsWith("127.0.0.1:").endsWith(":8080");
            assertThat(service.get("env_file")).isEqualTo("shardgrid.env");
        }
    }

    @Test
    void theAdminTokenComesFromAnEnvFileWhoseExampleHoldsNoRealSecret() throws IOException {
        List<String> example = Files.readAllLines(DEPLOY.resolve("shardgrid.env.example"));
        assertThat(example).contains("SHARDGRID_ADMIN_TOKEN=change-me");
        assertThat(Files.readString(Path.of("..", ".gitignore"))).contains("/deploy/shardgrid.env\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeNodeZeroBootstrapsAndTheOthersJoinItByServiceName() throws Exception {
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        Map<String, String> env = new HashMap<>();
        for (var e : ((Map<String, Object>) at((Map<String, Object>) services.get("shardgrid-1"), "environment"))
                .entrySet()) {
            env.put(e.getKey(), String.valueOf(e.getValue()));
        }
        assertThat(env).containsEntry("PEER_DOMAIN", "");

        env.put("POD_NAME", "shardgrid-0");
        ServerConfig first = parseServer(entrypointArgs(env));
        assertThat(first.bootstrap()).isTrue();
        assertThat(first.bootstrapExpect()).isEqualTo(3);
        assertThat(first.grpcAddress()).isEqualTo("shardgrid-0:9090");
        assertThat(first.partitions()).isEqualTo(64);

        env.put("POD_NAME", "shardgrid-2");
        ServerConfig third = parseServer(entrypointArgs(env));
        assertThat(third.bootstrap()).isFalse();
        assertThat(third.join()).isEqualTo("shardgrid-0:8080");
        assertThat(third.raftAddress()).isEqualTo("shardgrid-2:11000");
        assertThat(third.httpAddress()).isEqualTo("shardgrid-2:8080");
    }

    @Test
    void aNodeNameWithoutAnOrdinalIsRefusedWithTheReason() throws Exception {
        Process p = entrypoint(Map.of("POD_NAME", "shardgrid", "SHARDGRID_DRY_RUN", "1"));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("POD_NAME 'shardgrid' must end in -<ordinal>");
    }

    private static List<String> entrypointArgs(String pod) throws Exception {
        return entrypointArgs(Map.of("POD_NAME", pod, "NAMESPACE", "prod"));
    }

    private static Process entrypoint(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", DEPLOY.resolve("docker-entrypoint.sh").toString())
            .redirectErrorStream(true);
        // Only what the deployment sets: nothing from the test's own environment.
        pb.environment().keySet().removeIf(k -> !k.equals("PATH"));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static List<String> entrypointArgs(Map<String, String> env) throws Exception {
        Map<String, String> dryRun = new HashMap<>(env);
        dryRun.put("SHARDGRID_DRY_RUN", "1");
        Process p = entrypoint(dryRun);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> args = out.lines().collect(Collectors.toList());
        assertThat(args.get(0)).isEqualTo("server");
        return args.subList(1, args.size());
    }

    private static ServerConfig parseServer(List<String> args) {
        ServerCommand command = new ServerCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args.toArray(String[]::new));
        return command.toConfig();
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyTheClustersOwnPodsReachTheRaftPort() {
        Map<String, Object> policy = only("NetworkPolicy");
        assertThat(at(policy, "spec", "podSelector", "matchLabels"))
            .isEqualTo(at(only("StatefulSet"), "spec", "template", "metadata", "labels"));
        List<Map<String, Object>> rules = (List<Map<String, Object>>) at(policy, "spec", "ingress");
        for (Map<String, Object> rule : rules) {
            List<Integer> ports = ports(rule.get("ports"), "port");
            if (ports.contains(11000)) {
                assertThat(ports).as("a rule opening raft opens nothing else").containsOnly(11000);
                assertThat((List<Map<String, Object>>) rule.get("from")).as("raft sources").isNotEmpty()
                    .allSatisfy(from -> assertThat(at(from, "podSelector", "matchLabels"))
                        .isEqualTo(at(policy, "spec", "podSelector", "matchLabels")));
            }
        }
        assertThat(rules.stream().flatMap(r -> ports(r.get("ports"), "port").stream()))
            .containsExactlyInAnyOrder(11000, 8080, 9090);
    }

    @Test
    void aMountedTlsSecretTurnsTlsOnThroughTheEntrypoint(@TempDir Path tls) throws Exception {
        for (String file : List.of("tls.crt", "tls.key", "ca.crt")) {
            Files.writeString(tls.resolve(file), "pem");
        }
        ServerConfig node = parseServer(entrypointArgs(Map.of("POD_NAME", "shardgrid-1", "NAMESPACE", "prod",
            "SHARDGRID_TLS_DIR", tls.toString(), "SHARDGRID_TLS_CLIENT_AUTH", "require")));
        assertThat(node.tls().enabled()).isTrue();
        assertThat(node.tls().certificate()).isEqualTo(tls.resolve("tls.crt"));
        assertThat(node.tls().trustedCa()).isEqualTo(tls.resolve("ca.crt"));
        assertThat(node.tls().clientAuth()).isEqualTo(TlsSettings.ClientAuth.REQUIRE);
        assertThat(parseServer(entrypointArgs("shardgrid-1")).tls().enabled()).isFalse();
    }

    private static Map<String, Object> only(String kind) {
        List<Map<String, Object>> found = documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> container(Map<String, Object> set) {
        List<Map<String, Object>> containers = (List<Map<String, Object>>) at(set, "spec", "template", "spec",
            "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    @SuppressWarnings("unchecked")
    private String envOfStatefulSet(String name) {
        return ((List<Map<String, Object>>) container(only("StatefulSet")).get("env")).stream()
            .filter(e -> name.equals(e.get("name"))).map(e -> String.valueOf(e.get("value"))).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> ports(Object list, String field) {
        return ((List<Map<String, Object>>) list).stream().map(p -> (Integer) p.get(field)).toList();
    }

    @SuppressWarnings("unchecked")
    private static Object at(Map<String, Object> doc, String... path) {
        Object node = doc;
        for (String key : path) {
            assertThat(node).as("%s in %s", key, String.join(".", path)).isInstanceOf(Map.class);
            node = ((Map<String, Object>) node).get(key);
        }
        return node;
    }
}
