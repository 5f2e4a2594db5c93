package io.shardgrid.server;

import java.util.Optional;

/**
 * Ends this process when the process named by {@code SHARDGRID_PARENT_PID} exits, so nodes started
 * by {@code grid local-cluster} never outlive it, even if it is killed with SIGKILL.
 */
final class ParentWatch {
    static final String ENV = "SHARDGRID_PARENT_PID";

    private ParentWatch() {
    }

    static void exitWhenParentExits() {
        String pid = System.getenv(ENV);
        if (pid == null || pid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(pid.trim()));
        if (parent.isEmpty()) {
            System.exit(0);
        }
        parent.get().onExit().thenRun(() -> {
            System.err.println("parent process " + pid + " exited; stopping");
            System.exit(0);
        });
    }
}
