package io.shardgrid.bench.chaos;

import io.shardgrid.client.GridAdminClient;
import io.shardgrid.client.GridClient;
import io.shardgrid.common.routing.PartitionAssignment;
import io.shardgrid.proto.v1.OperatorResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Injects one fault at a time into a {@link ProcessCluster} and heals it: every fault ends with
 * the cluster whole again and every node answering {@code /health/ready}, or with the event's
 * {@code error} saying which node stayed unready.
 */
final class Nemesis {
    /** The faults, in the order they take turns. */
    enum Fault {
        /** SIGKILL a random node, wait, start it again over the same data directory. */
        KILL,
        /** SIGSTOP the node that leads a random partition for longer than an election timeout, then SIGCONT. */
        PAUSE,
        /** Cut the leader of a random partition off from the other nodes (clients still reach it), then reconnect. */
        PARTITION,
        /** Move a replica of a random partition to a node without one (admin API), SIGKILL the source mid-move, restart it. */
        MOVE,
        /** Fill the tmpfs holding one node's data directory, hold it full, then free it. */
        DISK,
        /**
         * Restart a random node with its wall clock minutes off (libfaketime), give it the leadership of
         * a partition it holds, let it serve, then restart it on the true clock. TTL stamps and reads
         * under skew: a write's TTL (hours, see {@link ChaosWorkload}) must not end early.
         */
        CLOCK,
        /**
         * Split a random partition online (admin API) and SIGKILL its leader while the split runs, then
         * restart it: the split must finish (the map records it) with no key served by two groups.
         */
        SPLIT;

        static Fault parse(String name) {
            return Fault.valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
    }

    /**
     * One fault as it happened; times in {@link System#nanoTime()}.
     *
     * @param healedNs when the fault was undone (node started again, resumed, space freed)
     * @param readyNs  when every node answered ready again, or {@code 0} if one never did
     * @param error    null, or why the cluster did not heal
     */
    record FaultEvent(Fault fault, String target, long startNs, long healedNs, long readyNs, String note,
                      String error) {
    }

    private final ProcessCluster cluster;
    private final GridClient client;
    private final NemesisAdmin admin;
    private final Random random;
    private final Duration readyTimeout;
    private final PrintStream log;
    private final Duration killDown;
    private final Duration pauseFor;
    private final Duration diskFullFor;
    /** The node whose data directory is on a small tmpfs, or -1 when there is none. */
    private final int diskNode;
    /** Null when nodes share the host's network: no partitions then. */
    private final NetnsNetwork network;
    private final Duration partitionFor;
    private final Duration skewedFor;
    /** Null when libfaketime is not installed: no clock faults then. */
    private final Path faketime;
    /** Log lines show seconds since this instant. */
    private final long epochNs;

    Nemesis(ProcessCluster cluster, GridClient client, Random random, Duration readyTimeout, PrintStream log,
            int diskNode, NetnsNetwork network, long epochNs) {
        this.cluster = cluster;
        this.client = client;
        this.admin = new NemesisAdmin(cluster, client, random, readyTimeout);
        this.random = random;
        this.readyTimeout = readyTimeout;
        this.log = log;
        this.killDown = Duration.ofSeconds(3);
        this.pauseFor = Duration.ofSeconds(4);
        this.diskFullFor = Duration.ofSeconds(5);
        this.diskNode = diskNode;
        this.network = network;
        this.partitionFor = Duration.ofSeconds(6);
        this.skewedFor = Duration.ofSeconds(8);
        this.faketime = Faketime.library().orElse(null);
        this.epochNs = epochNs;
    }

    FaultEvent inject(Fault fault) throws InterruptedException, IOException {
        return switch (fault) {
            case KILL -> kill();
            case PAUSE -> pause();
            case PARTITION -> partition();
            case DISK -> diskFull();
            case MOVE -> moveAndKillSource();
            case CLOCK -> clockSkew();
            case SPLIT -> splitAndKillLeader();
        };
    }

    private FaultEvent kill() throws InterruptedException, IOException {
        int i = 1 + random.nextInt(cluster.size());
        long start = System.nanoTime();
        cluster.kill9(i);
        log("kill -9 " + cluster.nodeId(i));
        Thread.sleep(killDown.toMillis());
        cluster.restart(i);
        long healed = System.nanoTime();
        log("restarted " + cluster.nodeId(i));
        return awaitHealed(Fault.KILL, cluster.nodeId(i), start, healed, "down " + killDown.toSeconds() + " s");
    }

    /** The node leading a random partition per the client's map, or a random node; and which it was. */
    private int someLeader(String[] note) {
        List<PartitionAssignment> led = client.partitionMap().partitions().stream()
            .filter(p -> cluster.indexOf(p.leaderHint()) > 0).toList();
        if (led.isEmpty()) {
            note[0] = "no leader hint in the client's map; a random node";
            return 1 + random.nextInt(cluster.size());
        }
        PartitionAssignment p = led.get(random.nextInt(led.size()));
        note[0] = "leader of p" + p.partitionId() + " per the client's map";
        return cluster.indexOf(p.leaderHint());
    }

    private FaultEvent partition() throws InterruptedException, IOException {
        if (network == null) {
            long now = System.nanoTime();
            return new FaultEvent(Fault.PARTITION, "-", now, now, now, "skipped: no network namespaces", null);
        }
        String[] note = new String[1];
        int i = someLeader(note);
        long start = System.nanoTime();
        network.isolate(i);
        log("isolated " + cluster.nodeId(i) + " from the other nodes (" + note[0] + ")");
        Thread.sleep(partitionFor.toMillis());
        network.heal(i);
        long healed = System.nanoTime();
        log("reconnected " + cluster.nodeId(i));
        return awaitHealed(Fault.PARTITION, cluster.nodeId(i), start, healed,
            note[0] + ", isolated " + partitionFor.toSeconds() + " s");
    }

    private FaultEvent moveAndKillSource() throws InterruptedException, IOException {
        List<PartitionAssignment> movable = client.partitionMap().partitions().stream()
            .filter(p -> p.replicas().size() + p.learners().size() < cluster.size() && p.learners().isEmpty()).toList();
        if (movable.isEmpty()) {
            long now = System.nanoTime();
            return new FaultEvent(Fault.MOVE, "-", now, now, now,
                "skipped: every node holds every partition (needs more nodes than replicas)", null);
        }
        PartitionAssignment p = movable.get(random.nextInt(movable.size()));
        String from = p.replicas().get(random.nextInt(p.replicas().size()));
        List<String> targets = new ArrayList<>();
        for (int i = 1; i <= cluster.size(); i++) {
            if (!p.replicas().contains(cluster.nodeId(i))) {
                targets.add(cluster.nodeId(i));
            }
        }
        String to = targets.get(random.nextInt(targets.size()));
        int source = cluster.indexOf(from);
        long start = System.nanoTime();
        String note = "p" + p.partitionId() + " " + from + " -> " + to;
        try {
            OperatorResponse r;
            try (GridAdminClient call = admin.client()) {
                r = call.move(p.partitionId(), from, to);
            }
            if (r.hasError() && r.getError().getCodeValue() != 0) {
                note += ", move refused: " + r.getError().getCode() + " " + r.getError().getMessage();
            }
        } catch (RuntimeException e) {
            note += ", move call failed: " + e.getMessage();
        }
        log("move " + note);
        Thread.sleep(200 + random.nextInt(800));
        cluster.kill9(source);
        log("kill -9 " + from + " (the move's source)");
        Thread.sleep(killDown.toMillis());
        cluster.restart(source);
        long healed = System.nanoTime();
        log("restarted " + from);
        FaultEvent e = awaitHealed(Fault.MOVE, from, start, healed, note);
        if (e.error() == null) {
            String settled = admin.awaitNoOperators();
            PartitionAssignment after = client.partitionMap().partition(p.partitionId());
            e = new FaultEvent(e.fault(), e.target(), e.startNs(), e.healedNs(), e.readyNs(),
                e.note() + "; " + settled + "; now on " + after.replicas(), null);
        }
        return e;
    }

    private FaultEvent splitAndKillLeader() throws InterruptedException, IOException {
        List<PartitionAssignment> led = client.partitionMap().partitions().stream()
            .filter(p -> !p.splitting() && cluster.indexOf(p.leaderHint()) > 0).toList();
        if (led.isEmpty()) {
            long now = System.nanoTime();
            return new FaultEvent(Fault.SPLIT, "-", now, now, now, "skipped: no partition with a known leader", null);
        }
        PartitionAssignment p = led.get(random.nextInt(led.size()));
        int leader = cluster.indexOf(p.leaderHint());
        int partitionsBefore = client.partitionMap().partitionCount();
        long start = System.nanoTime();
        StringBuilder note = new StringBuilder("split p" + p.partitionId() + ", kill -9 its leader " + p.leaderHint());
        Thread splitCall = new Thread(() -> {
            try (GridAdminClient call = admin.client()) {
                call.split(p.partitionId());
            } catch (RuntimeException e) {
                synchronized (note) {
                    note.append(", split call: ").append(e.getMessage()); // the leader died under it: expected
                }
            }
        }, "nemesis-split");
        splitCall.start();
        Thread.sleep(100 + random.nextInt(700));
        cluster.kill9(leader);
        log("split p" + p.partitionId() + " and kill -9 its leader " + p.leaderHint());
        Thread.sleep(killDown.toMillis());
        cluster.restart(leader);
        long healed = System.nanoTime();
        log("restarted " + p.leaderHint());
        splitCall.join(NemesisAdmin.TIMEOUT.toMillis() + 5_000);
        FaultEvent e;
        synchronized (note) {
            e = awaitHealed(Fault.SPLIT, p.leaderHint(), start, healed, note.toString());
        }
        if (e.error() == null && client.partitionMap().partitionCount() == partitionsBefore) {
            // Killed before the meta leader reserved the child (the call dies with it): nothing to finish, ask again.
            try (GridAdminClient call = admin.client()) {
                call.split(p.partitionId());
                e = new FaultEvent(e.fault(), e.target(), e.startNs(), e.healedNs(), e.readyNs(),
                    e.note() + "; the split had not started, asked again", null);
            } catch (RuntimeException again) {
                e = new FaultEvent(e.fault(), e.target(), e.startNs(), e.healedNs(), e.readyNs(),
                    e.note() + "; the split had not started, asking again failed: " + again.getMessage(), null);
            }
        }
        if (e.error() == null) {
            String settled = admin.awaitSplitRecorded(partitionsBefore);
            e = new FaultEvent(e.fault(), e.target(), e.startNs(), e.healedNs(), e.readyNs(), e.note() + "; " + settled,
                settled.startsWith("split not recorded") ? settled : null);
        }
        return e;
    }

    private FaultEvent clockSkew() throws InterruptedException, IOException {
        if (faketime == null) {
            long now = System.nanoTime();
            return new FaultEvent(Fault.CLOCK, "-", now, now, now,
                "skipped: libfaketime not installed (apt-get install faketime)", null);
        }
        int i = 1 + random.nextInt(cluster.size());
        long offset = (random.nextBoolean() ? 1 : -1) * (random.nextBoolean() ? 120 : 600);
        String node = cluster.nodeId(i);
        long start = System.nanoTime();
        cluster.kill9(i);
        cluster.restartWithClockOffset(i, faketime, offset);
        log("restarted " + node + " with its clock " + offset + " s off");
        String note = "clock " + offset + " s";
        String unready = null;
        try {
            cluster.awaitReady(i, readyTimeout);
            note += " for " + skewedFor.toSeconds() + " s, " + admin.askToLead(node);
            log(node + " skewed: " + note);
            Thread.sleep(skewedFor.toMillis());
        } catch (IllegalStateException e) {
            unready = node + " not ready within " + readyTimeout.toSeconds() + " s with its clock moved";
            log(unready);
        }
        cluster.kill9(i);
        cluster.restart(i);
        long healed = System.nanoTime();
        log("restarted " + node + " on the true clock");
        FaultEvent e = awaitHealed(Fault.CLOCK, node, start, healed, note);
        return unready == null || e.error() != null ? e
            : new FaultEvent(e.fault(), e.target(), e.startNs(), e.healedNs(), e.readyNs(), e.note(), unready);
    }

    private FaultEvent pause() throws InterruptedException {
        String[] noteOut = new String[1];
        int i = someLeader(noteOut);
        String note = noteOut[0];
        long start = System.nanoTime();
        cluster.pause(i);
        log("kill -STOP " + cluster.nodeId(i) + " (" + note + ")");
        Thread.sleep(pauseFor.toMillis());
        cluster.resume(i);
        long healed = System.nanoTime();
        log("kill -CONT " + cluster.nodeId(i));
        return awaitHealed(Fault.PAUSE, cluster.nodeId(i), start, healed,
            note + ", stopped " + pauseFor.toSeconds() + " s");
    }

    private FaultEvent diskFull() throws InterruptedException, IOException {
        if (diskNode < 0) {
            long now = System.nanoTime();
            return new FaultEvent(Fault.DISK, "-", now, now, now, "skipped: no node on a tmpfs", null);
        }
        Path ballast = cluster.dataDir(diskNode).resolve("chaos-ballast");
        long start = System.nanoTime();
        long written = fill(ballast);
        log("filled " + cluster.nodeId(diskNode) + "'s tmpfs with " + (written >> 20) + " MiB");
        Thread.sleep(diskFullFor.toMillis());
        Files.deleteIfExists(ballast);
        long healed = System.nanoTime();
        log("freed " + cluster.nodeId(diskNode) + "'s tmpfs");
        return awaitHealed(Fault.DISK, cluster.nodeId(diskNode), start, healed,
            "full " + diskFullFor.toSeconds() + " s (" + (written >> 20) + " MiB ballast)");
    }

    /** Writes zeros to {@code file} until the file system says it is full; the bytes written. */
    private static long fill(Path file) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
        long written = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            while (true) {
                zeros.clear();
                written += ch.write(zeros);
            }
        } catch (IOException e) {
            if (written == 0 && !String.valueOf(e.getMessage()).contains("space")) {
                throw e;
            }
        }
        return written;
    }

    private FaultEvent awaitHealed(Fault fault, String target, long start, long healed, String note)
        throws InterruptedException {
        for (int i = 1; i <= cluster.size(); i++) {
            cluster.takeNotReadyReason(i);
        }
        StringBuilder readyAfter = new StringBuilder();
        for (int i = 1; i <= cluster.size(); i++) {
            try {
                cluster.awaitReady(i, readyTimeout);
                String reason = cluster.takeNotReadyReason(i);
                readyAfter.append(String.format(Locale.ROOT, " %s %.1f s%s", cluster.nodeId(i),
                    (System.nanoTime() - healed) / 1e9, reason == null ? "" : " (last: " + reason + ")"));
            } catch (IllegalStateException e) {
                log(cluster.nodeId(i) + " did not become ready: " + e.getMessage());
                return new FaultEvent(fault, target, start, healed, 0, note,
                    cluster.nodeId(i) + " not ready within " + readyTimeout.toSeconds() + " s after the fault healed");
            }
        }
        long ready = System.nanoTime();
        log("every node ready after healing:" + readyAfter);
        return new FaultEvent(fault, target, start, healed, ready, note, null);
    }

    private void log(String message) {
        log.printf(Locale.ROOT, "nemesis: t+%.1fs %s%n", (System.nanoTime() - epochNs) / 1e9, message);
    }
}
