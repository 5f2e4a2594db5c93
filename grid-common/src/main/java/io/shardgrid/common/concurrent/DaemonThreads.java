package io.shardgrid.common.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the project's own pools. Every thread is a daemon, so a pool someone forgot
 * to shut down never keeps a JVM (a node, a client, a test) alive, and is named for its job, which
 * is what thread dumps and {@code bench/thread-profile.py} group by.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** Every thread named {@code name}: for single-thread executors. */
    public static ThreadFactory named(String name) {
        return r -> daemon(r, name);
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, …: for pools. */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + "-" + n.incrementAndGet());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
