package io.shardgrid.server.config;

import io.shardgrid.server.core.ports.EvictionPolicy;
import java.util.Locale;

/**
 * What a partition leader does when its share of the node's memory budget runs out, as Redis's
 * {@code maxmemory-policy}: refuse writes ({@link #NONE}) or evict keys through the raft log.
 */
public enum Eviction {
    /** Writes past the budget fail with RESOURCE_EXHAUSTED. */
    NONE(null),
    /** Evict the least recently used keys. */
    LRU(EvictionPolicy.LRU),
    /** Evict the least frequently used keys. */
    LFU(EvictionPolicy.LFU),
    /** Evict keys with a TTL, nearest deadline first; keys without one are never evicted. */
    VOLATILE_TTL(EvictionPolicy.VOLATILE_TTL);

    private final EvictionPolicy policy;

    Eviction(EvictionPolicy policy) {
        this.policy = policy;
    }

    /** The store's ranking, or null for {@link #NONE}. */
    public EvictionPolicy policy() {
        return policy;
    }

    /** The flag's spelling: {@code none}, {@code lru}, {@code lfu}, {@code volatile-ttl}. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a {@code --eviction} value; the message lists what is accepted. */
    public static Eviction parse(String text) {
        for (Eviction e : values()) {
            if (e.flagValue().equals(text == null ? "" : text.trim().toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("eviction '" + text + "' must be one of none, lru, lfu, volatile-ttl");
    }
}
