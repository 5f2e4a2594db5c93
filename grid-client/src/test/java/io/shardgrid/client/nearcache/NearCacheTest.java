package io.shardgrid.client.nearcache;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardgrid.proto.v1.Invalidation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The near cache's bookkeeping on its own: sequence gaps, restarts, and replies overtaken by invalidations. */
class NearCacheTest {
    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = "v".getBytes(StandardCharsets.UTF_8);
    private NearCache cache;

    @BeforeEach
    void setUp() {
        cache = new NearCache(4, 100, Duration.ofMinutes(1));
        cache.armedBy(p -> true);
    }

    @Test
    void aReadAnsweredBeforeAnyChangeIsCachedAndServedAsACopy() {
        cache.put(cache.ticket(1, KEY), KEY, VALUE, 0);
        byte[] first = cache.get(1, KEY, 0);
        assertThat(first).isEqualTo(VALUE);
        first[0] = 'x';
        assertThat(cache.get(1, KEY, 0)).isEqualTo(VALUE);
    }

    @Test
    void anInvalidationThatOvertakesTheReplyKeepsTheReplyOut() {
        NearCache.Ticket ticket = cache.ticket(1, KEY);
        cache.onInvalidation(invalidation(1, 7, 1, KEY));
        cache.put(ticket, KEY, VALUE, 0);
        assertThat(cache.get(1, KEY, 0)).isNull();
    }

    @Test
    void aGapInTheSequenceDropsThePartition() {
        cache.onInvalidation(invalidation(1, 7, 1, "other".getBytes(StandardCharsets.UTF_8)));
        cache.put(cache.ticket(1, KEY), KEY, VALUE, 0);
        cache.onInvalidation(invalidation(1, 7, 2, "other".getBytes(StandardCharsets.UTF_8)));
        assertThat(cache.get(1, KEY, 0)).as("consecutive: kept").isEqualTo(VALUE);
        cache.onInvalidation(invalidation(1, 7, 4, "other".getBytes(StandardCharsets.UTF_8)));
        assertThat(cache.get(1, KEY, 0)).as("seq 3 was lost").isNull();
    }

    @Test
    void aNewTermOrARestartMarkerDropsThePartitionOnly() {
        cache.onInvalidation(invalidation(1, 7, 1, "other".getBytes(StandardCharsets.UTF_8)));
        byte[] elsewhere = "elsewhere".getBytes(StandardCharsets.UTF_8);
        cache.put(cache.ticket(1, KEY), KEY, VALUE, 0);
        cache.put(cache.ticket(2, elsewhere), elsewhere, VALUE, 0);
        cache.onInvalidation(invalidation(1, 8, 0, new byte[0]));
        assertThat(cache.get(1, KEY, 0)).isNull();
        assertThat(cache.get(2, elsewhere, 0)).isEqualTo(VALUE);

        cache.put(cache.ticket(1, KEY), KEY, VALUE, 0);
        cache.onInvalidation(invalidation(1, 9, 1, "other".getBytes(StandardCharsets.UTF_8)));
        assertThat(cache.get(1, KEY, 0)).isNull();
    }

    @Test
    void expiredValuesAndUnarmedPartitionsAreNeverServed() {
        cache.put(cache.ticket(1, KEY), KEY, VALUE, 1_000);
        assertThat(cache.get(1, KEY, 999)).isEqualTo(VALUE);
        assertThat(cache.get(1, KEY, 1_000)).isNull();

        byte[] key = "in-partition-2".getBytes(StandardCharsets.UTF_8);
        cache.armedBy(p -> p != 3);
        assertThat(cache.ticket(3, key)).isNull();
        NearCache.Ticket ticket = cache.ticket(2, key);
        cache.armedBy(p -> false);
        cache.put(ticket, key, VALUE, 0);
        assertThat(cache.get(2, key, 0)).as("the stream went down while the read was out").isNull();
    }

    @Test
    void aPartitionSplitOffAfterTheStartIsCachedAndInvalidatedLikeTheOthers() {
        // The cache started with 4 partitions; splits added 4..6.
        cache.onInvalidation(invalidation(6, 3, 1, "other".getBytes(StandardCharsets.UTF_8)));
        cache.put(cache.ticket(6, KEY), KEY, VALUE, 0);
        assertThat(cache.get(6, KEY, 0)).isEqualTo(VALUE);
        cache.onInvalidation(invalidation(6, 3, 2, KEY));
        assertThat(cache.get(6, KEY, 0)).isNull();

        // A key cached under its parent before the client saw the split: the child's invalidation
        // still reaches it, so the old route cannot serve it stale.
        cache.put(cache.ticket(1, KEY), KEY, VALUE, 0);
        cache.onInvalidation(invalidation(5, 3, 1, KEY));
        assertThat(cache.get(1, KEY, 0)).isNull();
        assertThat(cache.ticket(-1, KEY)).isNull();
    }

    private static Invalidation invalidation(int partition, long term, long seq, byte[] key) {
        return Invalidation.newBuilder().setPartitionId(partition).setTerm(term).setSeq(seq)
            .setKey(ByteString.copyFrom(key)).build();
    }
}
