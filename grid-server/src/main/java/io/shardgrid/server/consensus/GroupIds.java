package io.shardgrid.server.consensus;

import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Raft group ids derived from the partition id, so every node names the same group the same way
 * without asking: partition {@code p} is UUID {@code (PREFIX, p)}, the meta group {@code (PREFIX, -1)}.
 */
final class GroupIds {
    private static final long PREFIX = 0x5368617264677269L; // "Shardgri"
    private static final long META = -1L;

    static final RaftGroupId META_GROUP = RaftGroupId.valueOf(new UUID(PREFIX, META));

    private GroupIds() {
    }

    static RaftGroupId partition(int partitionId) {
        return RaftGroupId.valueOf(new UUID(PREFIX, partitionId));
    }

    static boolean isMeta(RaftGroupId id) {
        return id.equals(META_GROUP);
    }

    /** The partition a group id names, or -1 for the meta group or a foreign id. */
    static int partitionOf(RaftGroupId id) {
        UUID uuid = id.getUuid();
        if (uuid.getMostSignificantBits() != PREFIX || uuid.getLeastSignificantBits() == META) {
            return -1;
        }
        long p = uuid.getLeastSignificantBits();
        return p >= 0 && p <= Integer.MAX_VALUE ? (int) p : -1;
    }
}
