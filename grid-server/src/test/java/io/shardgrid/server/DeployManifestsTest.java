package io.shardgrid.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * deploy/ cannot be run here (no Docker engine, no Kubernetes), so it is checked by reading it:
 * the manifests parse and agree with each other, and the arguments the container entrypoint
 * gives pod 0 and pod 1 are accepted by the real server command.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static List<Map<String, Object>> documents;

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
        assertThat(at(only("PodDisruptionBudget"), "spec", "maxUnavailable")).isEqualTo(1);
    }

    @Test
    void probesAskTheNodesHealthEndpointsOnItsHttpPort() {
        Map<String, Object> c = container(only("StatefulSet"));
        assertThat(at(c, "livenessProbe", "httpGet", "path")).isEqualTo("/health/live");
        assertThat(at(c, "readinessProbe", "httpGet", "path")).isEqualTo("/health/ready");
        assertThat(at(c, "readinessProbe", "httpGet", "port")).isEqualTo("http");
    }

    @Test
    void podZeroBootstrapsAndTheOthersJoinItWithFlagsTheServerAccepts() throws Exception {
        ServerConfig first = parseServer(entrypointArgs("shardgrid-0"));
        assertThat(first.bootstrap()).isTrue();
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
        assertThat(dockerfile).contains("ENTRYPOINT [\"/opt/shardgrid/docker-entrypoint.sh\"]")
            .contains("COPY deploy/docker-entrypoint.sh");
        assertThat(Files.readString(DEPLOY.resolve("docker-entrypoint.sh"))).contains(GridMain.class.getName());
        assertThat(Files.isExecutable(DEPLOY.resolve("docker-entrypoint.sh"))).isTrue();
    }

    private static List<String> entrypointArgs(String pod) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", DEPLOY.resolve("docker-entrypoint.sh").toString())
            .redirectErrorStream(true);
        pb.environment().putAll(Map.of("POD_NAME", pod, "NAMESPACE", "prod", "SHARDGRID_DRY_RUN", "1"));
        Process p = pb.start();
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
