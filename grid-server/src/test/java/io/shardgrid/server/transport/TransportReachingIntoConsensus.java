package io.shardgrid.server.transport;

import io.shardgrid.server.consensus.Membership;

/**
 * A deliberate layering violation, kept in test sources only: {@code LayeringTest} checks that its
 * transport rule rejects this class, so the rule is known to fail when the code breaks it.
 */
public final class TransportReachingIntoConsensus {
    private final Membership membership;

    TransportReachingIntoConsensus(Membership membership) {
        this.membership = membership;
    }

    Membership membership() {
        return membership;
    }
}
