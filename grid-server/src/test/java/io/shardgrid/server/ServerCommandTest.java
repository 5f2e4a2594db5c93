package io.shardgrid.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.Eviction;
import io.shardgrid.server.core.ports.EvictionPolicy;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.config.SplitSettings;
import io.shardgrid.server.config.TlsSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServerCommandTest {

    private static ServerConfig parse(String... args) {
        ServerCommand command = new ServerCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return command.toConfig();
    }

    @Test
    void theSeedsFlagsWorkVerbatim() {
        ServerConfig c = parse("-node_id", "node2", "-http_addr", ":8082", "-raft_addr", ":11002",
            "-raft_dir", "raft_node2", "-join", "localhost:8081");
        assertThat(c.nodeId()).isEqualTo("node2");
        assertThat(c.httpAddress()).isEqualTo("127.0.0.1:8082");
        assertThat(c.grpcAddress()).isEqualTo("127.0.0.1:9092");
        assertThat(c.raftAddress()).isEqualTo("127.0.0.1:11002");
        assertThat(c.dataDir()).isEqualTo(Path.of("raft_node2"));
        assertThat(c.join()).isEqualTo("localhost:8081");
        assertThat(parse("-bootstrap").bootstrap()).isTrue();
    }

    @Test
    void longFlagsSetEveryField() {
        ServerConfig c = parse("--node-id", "a", "--http-addr", "0.0.0.0:8080", "--grpc-addr", "0.0.0.0:7000",
            "--raft-addr", "10.0.0.1:11000", "--data-dir", "/var/lib/grid", "--bootstrap", "--partitions", "128",
            "--replication", "5", "--memory", "2g", "--durability", "async", "--admin-token", "s3cret");
        assertThat(c.grpcAddress()).isEqualTo("0.0.0.0:7000");
        assertThat(c.partitions()).isEqualTo(128);
        assertThat(c.replication()).isEqualTo(5);
        assertThat(c.memoryBytes()).isEqualTo(2L << 30);
        assertThat(c.durability()).isEqualTo(Durability.ASYNC);
        assertThat(c.adminToken()).isEqualTo("s3cret");
        assertThat(c.eviction()).isEqualTo(Eviction.NONE);
        assertThat(parse("--eviction", "volatile-ttl").eviction()).isEqualTo(Eviction.VOLATILE_TTL);
        assertThat(parse("--eviction", "LRU").eviction()).isEqualTo(Eviction.LRU);
        assertThat(parse("--eviction", "lfu").eviction().policy()).isEqualTo(EvictionPolicy.LFU);
    }

    @Test
    void automaticSplitsDefaultToFourPartitionsPerCoreAndCanBeTurnedOff() {
        SplitSettings defaults = parse().placement().splits();
        assertThat(defaults.partitionsPerNode()).isEqualTo(4 * Runtime.getRuntime().availableProcessors());
        assertThat(defaults.hotOpsPerSec()).isEqualTo(5_000);
        assertThat(defaults.hotFor()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.splitBytes()).isEqualTo(64L << 20);
        SplitSettings set = parse("--partitions-per-node", "12", "--split-hot-ops", "800", "--split-hot-for", "10s",
            "--split-bytes", "1g").placement().splits();
        assertThat(set).isEqualTo(new SplitSettings(12, 800, Duration.ofSeconds(10), 1L << 30));
        // The flag's first name, kept for existing scripts.
        assertThat(parse("--split-hot-writes", "700").placement().splits().hotOpsPerSec()).isEqualTo(700);
        assertThat(parse("--partitions-per-node", "0", "--split-hot-ops", "0", "--split-bytes", "0").placement()
            .splits().automatic()).isFalse();
        assertThatThrownBy(() -> parse("--split-bytes", "big")).hasMessageContaining("--split-bytes 'big'");
        assertThatThrownBy(() -> parse("--split-bytes", "-1m")).hasMessageContaining("split bytes");
        assertThatThrownBy(() -> parse("--partitions-per-node", "-2")).hasMessageContaining("partitions per node -2");
        assertThatThrownBy(() -> parse("--split-hot-for", "0s")).hasMessageContaining("hot window");
    }

    @Test
    void badValuesAreNamedInTheError() {
        assertThatThrownBy(() -> parse("--partitions", "48")).hasMessageContaining("partitions 48");
        assertThatThrownBy(() -> parse("--memory", "lots")).hasMessageContaining("memory 'lots'");
        assertThatThrownBy(() -> parse("--http-addr", "nohostport")).hasMessageContaining("'nohostport' must be host:port");
        assertThatThrownBy(() -> parse("--bootstrap", "--join", "x:1")).hasMessageContaining("exclusive");
        assertThat(parse("--bootstrap", "--bootstrap-expect", "3").bootstrapExpect()).isEqualTo(3);
        assertThatThrownBy(() -> parse("--bootstrap", "--bootstrap-expect", "4")).hasMessageContaining(
            "bootstrap expect 4 must be in [1, 3]");
        assertThatThrownBy(() -> parse("--bootstrap-expect", "3", "--replication", "2")).hasMessageContaining(
            "bootstrap expect 3 must be in [1, 2]");
        assertThatThrownBy(() -> parse("--node-id", "bad id")).hasMessageContaining("node id 'bad id'");
        assertThatThrownBy(() -> parse("--eviction", "random")).hasMessage(
            "eviction 'random' must be one of none, lru, lfu, volatile-ttl");
    }

    @Test
    void tlsNeedsItsThreeFilesAndClientAuthNeedsTls(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("node.pem"), "x");
        Path key = Files.writeString(dir.resolve("node-key.pem"), "x");
        assertThat(parse().tls().enabled()).isFalse();
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString()))
            .hasMessageContaining("--tls-cert, --tls-key and --tls-ca together");
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString(),
            "--tls-ca", dir.resolve("missing.pem").toString())).hasMessageContaining("missing.pem does not exist");
        assertThatThrownBy(() -> parse("--tls-client-auth", "require")).hasMessageContaining("needs TLS");
        assertThatThrownBy(() -> parse("--tls-client-auth", "maybe")).hasMessageContaining("none, optional or require");
        ServerConfig tls = parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-ca",
            cert.toString(), "--tls-client-auth", "optional");
        assertThat(tls.tls().clientAuth()).isEqualTo(TlsSettings.ClientAuth.OPTIONAL);
        assertThat(tls.tls().httpScheme()).isEqualTo("https");
    }
}
