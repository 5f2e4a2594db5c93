package io.shardgrid.common.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PartitionerTest {

    @Property
    void partitionIsInRangeAndSameForEveryKeyForm(@ForAll @Size(min = 1, max = 200) byte[] key,
                                                   @ForAll @IntRange(min = 0, max = 16) int log2P) {
        Partitioner partitioner = new Partitioner(1 << log2P);
        int p = partitioner.partitionOf(key);
        assertThat(p).isBetween(0, (1 << log2P) - 1);
        assertThat(partitioner.partitionOf(ByteBuffer.wrap(key))).isEqualTo(p);
        ByteBuffer direct = ByteBuffer.allocateDirect(key.length + 5).position(5);
        direct.put(key).position(5);
        assertThat(partitioner.partitionOf(direct)).isEqualTo(p);
        assertThat(direct.position()).isEqualTo(5);
        assertThat(partitioner.partitionOf(ByteBuffer.wrap(key).asReadOnlyBuffer())).isEqualTo(p);
        byte[] padded = new byte[key.length + 3];
        System.arraycopy(key, 0, padded, 2, key.length);
        assertThat(partitioner.partitionOf(padded, 2, key.length)).isEqualTo(p);
    }

    @Property
    void doublingPartitionsSplitsEachPartitionInTwo(@ForAll @Size(min = 1, max = 64) byte[] key,
                                                     @ForAll @IntRange(min = 0, max = 15) int log2P) {
        int small = new Partitioner(1 << log2P).partitionOf(key);
        int large = new Partitioner(1 << (log2P + 1)).partitionOf(key);
        assertThat(large >>> 1).isEqualTo(small);
    }

    @Test
    void keysSpreadEvenlyOverPartitions() {
        Partitioner partitioner = new Partitioner(64);
        int[] counts = new int[64];
        int keys = 640_000;
        for (int i = 0; i < keys; i++) {
            counts[partitioner.partitionOf(("key-" + i).getBytes(StandardCharsets.UTF_8))]++;
        }
        for (int count : counts) {
            assertThat(count).isBetween(9_000, 11_000);
        }
    }

    @Test
    void rejectsPartitionCountsThatAreNotPowersOfTwo() {
        assertThatThrownBy(() -> new Partitioner(48)).hasMessageContaining("partition count 48");
        assertThatThrownBy(() -> new Partitioner(0)).hasMessageContaining("partition count 0");
        assertThatThrownBy(() -> new Partitioner(1 << 17)).hasMessageContaining("131072");
    }
}
