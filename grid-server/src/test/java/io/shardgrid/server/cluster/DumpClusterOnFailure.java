package io.shardgrid.server.cluster;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints every node's view of the cluster when a cluster test fails, before teardown. */
final class DumpClusterOnFailure implements TestWatcher, org.junit.jupiter.api.extension.TestExecutionExceptionHandler {
    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        Object test = context.getRequiredTestInstance();
        if (test instanceof ClusterIT it && it.cluster() != null) {
            System.err.println("test " + context.getDisplayName() + " failed; " + it.cluster().dump());
        }
        throw throwable;
    }
}
