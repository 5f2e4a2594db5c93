package io.shardgrid.server.consensus;

import io.shardgrid.server.core.ports.KeyChangeListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Hands every partition's key changes to each registered listener. */
final class KeyChangeFanout implements KeyChangeListener {
    private final List<KeyChangeListener> listeners = new CopyOnWriteArrayList<>();

    void add(KeyChangeListener listener) {
        listeners.add(listener);
    }

    @Override
    public void keyChanged(int partitionId, long term, long seq, byte[] key) {
        for (KeyChangeListener l : listeners) {
            l.keyChanged(partitionId, term, seq, key);
        }
    }

    @Override
    public void leadershipTaken(int partitionId, long term) {
        for (KeyChangeListener l : listeners) {
            l.leadershipTaken(partitionId, term);
        }
    }

    @Override
    public void leaderChanged(int partitionId) {
        for (KeyChangeListener l : listeners) {
            l.leaderChanged(partitionId);
        }
    }

    @Override
    public boolean active() {
        for (KeyChangeListener l : listeners) {
            if (l.active()) {
                return true;
            }
        }
        return false;
    }
}
