package io.shardgrid.server.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaftMetaRepairTest {
    @TempDir
    Path dir;

    @Test
    void onlyAnEmptiedFileNeedsRepair() throws Exception {
        Path meta = dir.resolve("raft-meta");
        assertThat(RaftMetaRepair.needsRepair(meta)).as("missing: Ratis starts at term 0").isFalse();
        Files.write(meta, new byte[0]);
        assertThat(RaftMetaRepair.needsRepair(meta)).as("empty").isTrue();
        Files.writeString(meta, "#\nterm=7\nvotedFor=n1\n", StandardCharsets.UTF_8);
        assertThat(RaftMetaRepair.needsRepair(meta)).as("what Ratis writes").isFalse();
    }

    @Test
    void theRepairHoldsTheTermAndAVoteForItself() throws Exception {
        Path meta = dir.resolve("raft-meta");
        Files.write(meta, new byte[0]);
        RaftMetaRepair.write(meta, 42, "n2");
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
            properties.load(in);
        }
        assertThat(properties.getProperty("term")).isEqualTo("42");
        assertThat(properties.getProperty("votedFor")).isEqualTo("n2");
        assertThat(RaftMetaRepair.needsRepair(meta)).isFalse();
        try (var left = Files.list(dir)) {
            assertThat(left).containsExactly(meta);
        }
    }
}
