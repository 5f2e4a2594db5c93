package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * One network namespace per node on a private bridge (iproute2 only, needs root), so one node can
 * be cut off from the others while clients still reach every node.
 *
 * <pre>
 *   root ns: bridge sgcRUNb 10.231.S.1/24 (the chaos run and its clients)
 *     ├─ veth sgcRUNh1 ── ns sgcRUN-n1: sgcRUNn1 10.231.S.11/24, lo
 *     ├─ veth sgcRUNh2 ── ns sgcRUN-n2: sgcRUNn2 10.231.S.12/24, lo
 *     └─ …
 * </pre>
 *
 * <p>{@link #isolate(int)} adds blackhole routes in node i's namespace to every other node and in
 * theirs to node i: the nodes lose each other in both directions (sends fail at once), the bridge
 * and the client do not. The minority node keeps answering clients, so a stale read would show.
 */
final class NetnsNetwork implements AutoCloseable {
    private final String id;
    private final String subnet;
    private final int nodes;
    private final List<String> created = new ArrayList<>();
    private boolean bridge;

    private NetnsNetwork(String id, String subnet, int nodes) {
        this.id = id;
        this.subnet = subnet;
        this.nodes = nodes;
    }

    /** Creates the bridge and one namespace per node; null (everything undone) if any step fails. */
    static NetnsNetwork create(int nodes, Random random) throws InterruptedException {
        byte[] b = new byte[2];
        random.nextBytes(b);
        NetnsNetwork net = new NetnsNetwork("sgc" + HexFormat.of().formatHex(b), "10.231." + (1 + random.nextInt(250)),
            nodes);
        try {
            net.setUp();
            return net;
        } catch (IOException | IllegalStateException e) {
            System.err.println("chaos: network namespaces unavailable: " + e.getMessage());
            net.close();
            return null;
        }
    }

    String address(int i) {
        return subnet + "." + (10 + i);
    }

    /** What to put before a node's command so it runs in its namespace (ip netns exec keeps the pid). */
    List<String> execPrefix(int i) {
        return List.of("ip", "netns", "exec", ns(i));
    }

    /** Cuts node i off from every other node, both directions; clients still reach it. */
    void isolate(int i) throws IOException, InterruptedException {
        routes("add", i);
    }

    void heal(int i) throws IOException, InterruptedException {
        routes("del", i);
    }

    private void routes(String verb, int i) throws IOException, InterruptedException {
        for (int j = 1; j <= nodes; j++) {
            if (j != i) {
                ip("netns", "exec", ns(i), "ip", "route", verb, "blackhole", address(j) + "/32");
                ip("netns", "exec", ns(j), "ip", "route", verb, "blackhole", address(i) + "/32");
            }
        }
    }

    private void setUp() throws IOException, InterruptedException {
        String br = id + "b";
        ip("link", "add", br, "type", "bridge");
        bridge = true;
        ip("addr", "add", subnet + ".1/24", "dev", br);
        ip("link", "set", br, "up");
        for (int i = 1; i <= nodes; i++) {
            ip("netns", "add", ns(i));
            created.add(ns(i));
            String host = id + "h" + i;
            String inner = id + "n" + i;
            ip("link", "add", host, "type", "veth", "peer", "name", inner);
            ip("link", "set", host, "master", br);
            ip("link", "set", host, "up");
            ip("link", "set", inner, "netns", ns(i));
            ip("netns", "exec", ns(i), "ip", "addr", "add", address(i) + "/24", "dev", inner);
            ip("netns", "exec", ns(i), "ip", "link", "set", inner, "up");
            ip("netns", "exec", ns(i), "ip", "link", "set", "lo", "up");
        }
    }

    private String ns(int i) {
        return id + "-n" + i;
    }

    /**
     * Deletes the veth pairs, the namespaces and the bridge; call after the nodes are dead. The veths
     * go first and explicitly: a namespace can outlive {@code ip netns del} for a while, and its veth
     * end then keeps the host end alive.
     */
    @Override
    public void close() {
        try {
            for (int i = 1; i <= created.size(); i++) {
                tryIp("link", "del", id + "h" + i);
            }
            for (String ns : created) {
                tryIp("netns", "del", ns);
            }
            if (bridge) {
                tryIp("link", "del", id + "b");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        String error = tryIp(args);
        if (error != null) {
            throw new IOException(error);
        }
    }

    /** Null on success, else the command and its output. */
    private static String tryIp(String... args) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        return SystemCommand.run(command);
    }
}
