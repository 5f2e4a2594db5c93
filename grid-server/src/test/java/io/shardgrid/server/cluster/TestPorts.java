package io.shardgrid.server.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for test servers, each handed out at most once per JVM and never to two JVMs on
 * this machine at the same time.
 *
 * <p>Design notes. A port from {@code new ServerSocket(0)} comes from the kernel's ephemeral range,
 * which every outgoing connection on the machine draws from too: between closing the probe socket
 * and the server binding it, another connection may take it. So ports come from below that range
 * (read from {@code /proc/sys/net/ipv4/ip_local_port_range}), where the kernel never assigns one on
 * its own. Concurrent test JVMs (Surefire and Failsafe forks, other Maven builds) coordinate through
 * exclusive locks on files under {@value #LOCK_DIR}: a JVM owns a block of {@value #BLOCK_SIZE}
 * ports while it holds that block's lock, and it holds it until it exits (the kernel drops the lock
 * even on kill -9). Child processes started by a test may bind ports their parent reserved. Each
 * port is also checked to be bindable on 127.0.0.1 before it is handed out, which skips ports a
 * process outside this scheme listens on.
 */
public final class TestPorts {
    static final int BLOCK_SIZE = 20;
    static final int LOWEST_PORT = 20_000;
    static final int HIGHEST_PORT = 32_000;
    static final String LOCK_DIR = "/tmp/shardgrid-test-ports";
    private static final String EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range";
    /** Linux's default low end, assumed where the range cannot be read. */
    private static final int DEFAULT_EPHEMERAL_LOW = 32_768;

    private static final int LOW = LOWEST_PORT;
    private static final int HIGH = Math.min(HIGHEST_PORT, ephemeralLow() - 1);
    private static final int BLOCKS = (HIGH - LOW + 1) / BLOCK_SIZE;
    /** Locks this JVM holds for its lifetime: released only when the process ends. */
    private static final List<FileLock> HELD = new ArrayList<>();
    private static final Set<Integer> HANDED_OUT = new HashSet<>();
    private static int blocksTried;
    private static int nextBlock = -1;
    private static int blockStart;
    private static int nextInBlock = BLOCK_SIZE;

    private TestPorts() {
    }

    /** A port that no other test in this JVM or any other cooperating JVM gets, bindable on loopback now. */
    public static synchronized int next() {
        if (BLOCKS < 1) {
            throw new IllegalStateException("no test ports below the ephemeral range: " + LOW + "-" + HIGH
                + " (" + EPHEMERAL_RANGE + " starts at " + ephemeralLow() + ")");
        }
        while (true) {
            while (nextInBlock < BLOCK_SIZE) {
                int port = blockStart + nextInBlock++;
                if (HANDED_OUT.add(port) && bindable(port)) {
                    return port;
                }
            }
            reserveBlock();
        }
    }

    /** {@code 127.0.0.1:port} for a fresh {@link #next()} port. */
    public static String nextLoopbackAddress() {
        return "127.0.0.1:" + next();
    }

    /** Lowest port handed out. */
    static int low() {
        return LOW;
    }

    /** Highest port handed out: below the kernel's ephemeral range. */
    static int high() {
        return HIGH;
    }

    /** The lock file of the block holding {@code port}. */
    static Path lockFile(int port) {
        return Path.of(LOCK_DIR, "ports-" + (LOW + (port - LOW) / BLOCK_SIZE * BLOCK_SIZE) + ".lock");
    }

    private static void reserveBlock() {
        if (nextBlock < 0) {
            nextBlock = ThreadLocalRandom.current().nextInt(BLOCKS);
        }
        try {
            Files.createDirectories(Path.of(LOCK_DIR));
            while (blocksTried < BLOCKS) {
                int block = nextBlock;
                nextBlock = (nextBlock + 1) % BLOCKS;
                blocksTried++;
                int start = LOW + block * BLOCK_SIZE;
                FileChannel channel = FileChannel.open(lockFile(start),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    HELD.add(lock);
                    blockStart = start;
                    nextInBlock = 0;
                    return;
                }
                channel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock a test port block under " + LOCK_DIR, e);
        }
        throw new IllegalStateException("every test port block in " + LOW + "-" + HIGH
            + " is held by this or another JVM (" + HANDED_OUT.size() + " ports handed out here)");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            // As the servers under test do: a listener may bind over connections left in TIME_WAIT.
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Low end of the kernel's ephemeral port range. */
    static int ephemeralLow() {
        // Not Files.readString: on procfs (size 0) the JDK 17 returns only the first byte.
        try (BufferedReader in = Files.newBufferedReader(Path.of(EPHEMERAL_RANGE))) {
            return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_LOW;
        }
    }
}
