package io.shardgrid.server.store;

/** What a store does when the node's {@link MemoryBudget} cannot cover an allocation a write needs. */
public enum OverBudget {
    /** Refuse the write with {@code FULL}, changing nothing: a store used on its own. */
    REFUSE,
    /**
     * Allocate anyway, letting the budget overshoot: a partition replica applying its raft log. The
     * partition's leader admitted the write before it entered the log ({@code admits}), and every
     * replica must apply what the log says, so a follower whose node is fuller than the leader's
     * cannot refuse it (see docs/MEMORY.md).
     */
    OVERSHOOT;

    boolean mayOvershoot() {
        return this == OVERSHOOT;
    }
}
