package io.shardgrid.server.consensus.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Arrays;
import java.util.List;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Codec round-trips and hostile input, against {@link ModelOp} lists of up to 40 ops: QuickTheories properties
 * of 1,000 examples each.
 *
 * <p>A failing property prints the shrunk falsifying values and {@code Seed was N}. To replay it, run the one
 * test with that seed, {@code mvn -B -pl grid-server -am test -Dtest=LogEntryCodecPropertiesTest#name
 * -Dsurefire.failIfNoSpecifiedTests=false -DQT_SEED=N}, or put {@code .withFixedSeed(N)} after {@code qt()} while
 * debugging; then keep the shrunk values as an example {@code @Test} calling the property's check method (a seed
 * means something else once a generator changes).
 */
class LogEntryCodecPropertiesTest {
    private static final long YEAR_2100_MS = 4_102_444_800_000L;
    private static final int EXAMPLES = 1_000;
    /** Shrink attempts after a failure: QuickTheories' default, 100 per example, took ~40 s here. */
    private static final int SHRINK_CYCLES = 10_000;

    private static Gen<List<ModelOp>> ops() {
        return lists().of(ModelOp.gen()).ofSizeBetween(0, 40);
    }

    private static Gen<Long> leaderTimes() {
        return longs().between(0, YEAR_2100_MS);
    }

    private static Gen<Byte> anyByte() {
        return Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0);
    }

    @Test
    void encodeThenDecodeYieldsTheSameOps() {
        qt().withExamples(EXAMPLES).withShrinkCycles(SHRINK_CYCLES)
            .forAll(ops(), leaderTimes(), integers().between(0, 7), booleans().all())
            .checkAssert(LogEntryCodecPropertiesTest::checkRoundTrip);
    }

    @Test
    void everyTruncationIsRejectedWithoutReadingPastTheEnd() {
        qt().withExamples(EXAMPLES).withShrinkCycles(SHRINK_CYCLES)
            .forAll(ops(), leaderTimes(), integers().between(0, 100_000))
            .checkAssert(LogEntryCodecPropertiesTest::checkTruncationRejected);
    }

    @Test
    void corruptedBytesAreRejectedOrReadStrictlyInBounds() {
        qt().withExamples(EXAMPLES).withShrinkCycles(SHRINK_CYCLES)
            .forAll(ops(), lists().of(integers().between(0, 100_000)).ofSizeBetween(1, 4), lists().of(anyByte()).ofSize(4))
            .checkAssert(LogEntryCodecPropertiesTest::checkCorruptionContained);
    }

    @Test
    void anyVersionButTheCurrentIsRejected() {
        // The current version one time in ten, so the accepting branch runs on every seed.
        qt().withExamples(EXAMPLES).withShrinkCycles(SHRINK_CYCLES)
            .forAll(ops(), anyByte().mix(Generate.constant((byte) LogEntryDescriptor.VERSION), 10))
            .checkAssert(LogEntryCodecPropertiesTest::checkOnlyCurrentVersionAccepted);
    }

    private static void checkRoundTrip(List<ModelOp> ops, long leaderTimeMs, int offset, boolean direct) {
        MutableDirectBuffer buffer = direct ? new ExpandableDirectByteBuffer(16) : new ExpandableArrayBuffer(16);
        LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, offset).reset(leaderTimeMs);
        int expectedLength = LogEntryDescriptor.HEADER_LENGTH;
        for (ModelOp op : ops) {
            op.appendTo(encoder);
            expectedLength += op.encodedLength();
            assertThat(encoder.encodedLength()).isEqualTo(expectedLength);
        }

        LogEntryFlyweight entry = new LogEntryFlyweight().wrap(buffer, offset, encoder.encodedLength());

        assertThat(entry.leaderTimeMs()).isEqualTo(leaderTimeMs);
        assertThat(entry.opCount()).isEqualTo(ops.size()).isEqualTo(encoder.opCount());
        assertThat(ModelOp.readAll(entry)).containsExactlyElementsOf(ops);
        LogOpFlyweight op = entry.ops();
        for (ModelOp model : ops) {
            assertThat(op.next()).isTrue();
            assertThat(op.expireAtMs()).isEqualTo(model.expireAtMs(leaderTimeMs));
            assertThat(op.encodedLength()).isEqualTo(model.encodedLength());
        }
        assertThat(op.next()).isFalse();
    }

    private static void checkTruncationRejected(List<ModelOp> ops, long leaderTimeMs, int cutSeed) {
        byte[] encoded = encode(ops, leaderTimeMs);
        int cut = cutSeed % encoded.length;
        // A buffer that ends exactly at the cut: any read past it trips Agrona's bounds check.
        UnsafeBuffer truncated = new UnsafeBuffer(Arrays.copyOf(encoded, cut));

        assertThatThrownBy(() -> new LogEntryFlyweight().wrap(truncated, 0, cut))
            .isInstanceOf(MalformedLogEntryException.class);
    }

    private static void checkCorruptionContained(List<ModelOp> ops, List<Integer> positions, List<Byte> replacements) {
        byte[] encoded = encode(ops, 1_700_000_000_000L);
        for (int i = 0; i < positions.size(); i++) {
            encoded[positions.get(i) % encoded.length] = replacements.get(i);
        }
        UnsafeBuffer buffer = new UnsafeBuffer(encoded);
        LogEntryFlyweight entry = new LogEntryFlyweight();
        try {
            entry.wrap(buffer, 0, encoded.length);
        } catch (MalformedLogEntryException rejected) {
            assertThat(entry.opCount()).isZero();
            return;
        }
        // Accepted: corruption hit only payload bytes or produced another well-formed entry.
        LogOpFlyweight op = entry.ops();
        while (op.next()) {
            assertThat(op.keyOffset() + op.keyLength()).isLessThanOrEqualTo(encoded.length);
            assertThat(op.valueOffset() + op.valueLength()).isLessThanOrEqualTo(encoded.length);
            assertThat(op.expectedOffset() + op.expectedLength()).isLessThanOrEqualTo(encoded.length);
            assertThat(op.offset() + op.encodedLength()).isLessThanOrEqualTo(encoded.length);
            op.delta();
            op.expireAtMs();
            op.expectAbsent();
        }
    }

    private static void checkOnlyCurrentVersionAccepted(List<ModelOp> ops, byte version) {
        byte[] encoded = encode(ops, 0);
        encoded[LogEntryDescriptor.VERSION_OFFSET] = version;
        UnsafeBuffer buffer = new UnsafeBuffer(encoded);

        if ((version & 0xFF) == LogEntryDescriptor.VERSION) {
            assertThat(new LogEntryFlyweight().wrap(buffer, 0, encoded.length).opCount()).isEqualTo(ops.size());
        } else {
            assertThatThrownBy(() -> new LogEntryFlyweight().wrap(buffer, 0, encoded.length))
                .isInstanceOf(MalformedLogEntryException.class)
                .hasMessageContaining("version " + (version & 0xFF));
        }
    }

    private static byte[] encode(List<ModelOp> ops, long leaderTimeMs) {
        LogEntryEncoder encoder = new LogEntryEncoder().wrap(new ExpandableArrayBuffer(64), 0).reset(leaderTimeMs);
        ops.forEach(op -> op.appendTo(encoder));
        byte[] bytes = new byte[encoder.encodedLength()];
        encoder.buffer().getBytes(0, bytes);
        return bytes;
    }
}
