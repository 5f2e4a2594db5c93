package io.shardgrid.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPortsTest {
    @Test
    void portsLieBelowTheKernelsEphemeralRange() throws IOException {
        List<String> range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        int ephemeralLow = Integer.parseInt(range.get(0).trim().split("\\s+")[0]);
        assertThat(TestPorts.ephemeralLow()).isEqualTo(ephemeralLow);
        for (int i = 0; i < 50; i++) {
            int port = TestPorts.next();
            assertThat(port).isBetween(TestPorts.low(), TestPorts.high()).isLessThan(ephemeralLow);
        }
    }

    @Test
    void noPortIsHandedOutTwiceAndEachIsBindableOnLoopback() throws IOException {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 3 * TestPorts.BLOCK_SIZE; i++) {
            int port = TestPorts.next();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
    }

    @Test
    void aPortThatIsTakenIsSkipped() throws IOException {
        int next = TestPorts.next() + 1;
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", next));
            for (int i = 0; i < TestPorts.BLOCK_SIZE; i++) {
                assertThat(TestPorts.next()).isNotEqualTo(next);
            }
        }
    }

    @Test
    void thisJvmHoldsTheLockOfEveryBlockItHandsPortsFrom() throws IOException {
        Path lock = TestPorts.lockFile(TestPorts.next());
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            // Another process's tryLock returns null; in this JVM the held lock shows as an overlap.
            assertThatThrownBy(channel::tryLock).isInstanceOf(OverlappingFileLockException.class);
        }
    }

    @Test
    void anotherJvmCannotTakeABlockThisJvmHolds(@TempDir Path dir) throws Exception {
        Path lock = TestPorts.lockFile(TestPorts.next());
        Path probe = dir.resolve("LockProbe.java");
        Files.writeString(probe, """
            import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
            import java.nio.file.Path;
            import java.nio.file.StandardOpenOption;
            public class LockProbe {
                public static void main(String[] args) throws Exception {
                    try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
                        System.out.print(c.tryLock() == null ? "held" : "free");
                    }
                }
            }
            """);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, probe.toString(), lock.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("lock probe finished").isTrue();
        assertThat(out).as("another JVM's tryLock on %s", lock).isEqualTo("held");
    }
}
