package io.shardgrid.common.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The partitioner on fixed keys and, as properties, on random keys (QuickTheories, 1,000 examples each).
 *
 * <p>A failing property prints the shrunk falsifying key and partition count, and {@code Seed was N}. To replay
 * it, run the one test with that seed, {@code mvn -B -pl grid-common test -Dtest=PartitionerTest#name -DQT_SEED=N},
 * or put {@code .withFixedSeed(N)} after {@code qt()} while debugging; then keep the shrunk value as an example
 * {@code @Test} that calls the property's check method, since seeds change meaning when a generator changes.
 */
class PartitionerTest {

    @Test
    void partitionIsInRangeAndSameForEveryKeyForm() {
        qt().withExamples(1_000)
            .forAll(keys(200), integers().between(0, 16))
            .checkAssert(PartitionerTest::checkSameForEveryKeyForm);
    }

    @Test
    void doublingPartitionsSplitsEachPartitionInTwo() {
        qt().withExamples(1_000)
            .forAll(keys(64), integers().between(0, 15))
            .checkAssert(PartitionerTest::checkDoublingSplits);
    }

    @Test
    void edgeKeysHashTheSameInEveryFormAndSplitInTwo() {
        for (byte[] key : new byte[][] {{0}, {-1}, {Byte.MIN_VALUE, Byte.MAX_VALUE}, new byte[200], new byte[64]}) {
            for (int log2P : new int[] {0, 1, 15}) {
                checkSameForEveryKeyForm(key, log2P);
                checkDoublingSplits(key, log2P);
            }
            checkSameForEveryKeyForm(key, 16);
        }
    }

    private static void checkSameForEveryKeyForm(byte[] key, int log2P) {
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

    private static void checkDoublingSplits(byte[] key, int log2P) {
        int small = new Partitioner(1 << log2P).partitionOf(key);
        int large = new Partitioner(1 << (log2P + 1)).partitionOf(key);
        assertThat(large >>> 1).isEqualTo(small);
    }

    /** Byte arrays of 1 to {@code maxLength} bytes, any byte values; shown as numbers in a failure report. */
    private static Gen<byte[]> keys(int maxLength) {
        return Generate.byteArrays(integers().between(1, maxLength),
            Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
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
