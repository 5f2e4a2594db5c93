package io.shardgrid.server.core.ports;

/**
 * Hears what a partition leader applies, for near-cache invalidation. Called on the partition's
 * apply thread (keep it short, never block) and only while this node leads the partition.
 */
public interface KeyChangeListener {
    /**
     * A write to {@code key} was applied. {@code seq} counts the changes this leader published for
     * the partition in {@code term}, from 1 and without gaps.
     */
    void keyChanged(int partitionId, long term, long seq, byte[] key);

    /** This node became the partition's leader in {@code term}: caches of the partition restart. */
    void leadershipTaken(int partitionId, long term);

    /** Some node (maybe this one) became the partition's leader. */
    void leaderChanged(int partitionId);

    /** Whether anyone listens; the apply thread skips the key copies when nobody does. */
    boolean active();

    KeyChangeListener NONE = new KeyChangeListener() {
        @Override
        public void keyChanged(int partitionId, long term, long seq, byte[] key) {
        }

        @Override
        public void leadershipTaken(int partitionId, long term) {
        }

        @Override
        public void leaderChanged(int partitionId) {
        }

        @Override
        public boolean active() {
            return false;
        }
    };
}
