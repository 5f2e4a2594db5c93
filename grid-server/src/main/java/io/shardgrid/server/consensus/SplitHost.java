package io.shardgrid.server.consensus;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What a partition's replica needs from its node to apply a split entry: the node's raft groups. */
interface SplitHost {
    /** Whether this node already has the raft group of {@code partitionId} (a replayed split). */
    boolean hostsGroup(int partitionId);

    /**
     * If this node's group of {@code partitionId} knows no peers, deletes it and returns true. Ratis
     * keeps a new group's peers in memory until a leader's first entry reaches disk: a child whose
     * replicas were all stopped before its first election comes back unable to elect, holding only
     * its seed, which a replayed split entry then writes again and adds afresh.
     */
    boolean dropIfNeverElected(int partitionId) throws IOException;

    /**
     * Where the first state of a partition split off another is kept until its group has taken it
     * as its own snapshot; on the node's disk, outside any group's directory.
     */
    Path seedFile(int partitionId);

    /**
     * Adds the raft group of {@code childId} on this node with the peers of {@code parentId}'s
     * group; returns once it runs (having taken its seed, if one is there).
     */
    void addChildGroup(int childId, int parentId) throws IOException;

    /**
     * Soon, on another thread: adds an empty group for each of {@code children} (partitions split
     * off {@code parentId}) that this node lacks and the map gives it, with the parent's peers. A
     * replica that caught up with its parent by snapshot, past a split entry it never applied, has
     * no child group; the child's leader fills the empty one with the child's snapshot (its seed at
     * index 0, at least), and an empty replica never wins a vote against one holding that seed.
     */
    void ensureChildGroups(int parentId, List<Integer> children);
}
