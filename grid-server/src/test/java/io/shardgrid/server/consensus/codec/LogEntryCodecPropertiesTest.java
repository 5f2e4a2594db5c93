package io.shardgrid.server.consensus.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Codec round-trips and hostile input, against {@link ModelOp} lists. */
class LogEntryCodecPropertiesTest {
    private static final long YEAR_2100_MS = 4_102_444_800_000L;

    @Provide
    Arbitrary<List<ModelOp>> ops() {
        return ModelOp.arbitrary().list().ofMaxSize(40);
    }

    @Property
    void encodeThenDecodeYieldsTheSameOps(@ForAll("ops") List<ModelOp> ops,
                                          @ForAll @LongRange(min = 0, max = YEAR_2100_MS) long leaderTimeMs,
                                          @ForAll @IntRange(min = 0, max = 7) int offset,
                                          @ForAll boolean direct) {
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

    @Property
    void everyTruncationIsRejectedWithoutReadingPastTheEnd(@ForAll("ops") List<ModelOp> ops,
                                                           @ForAll @LongRange(min = 0, max = YEAR_2100_MS) long leaderTimeMs,
                                                           @ForAll @IntRange(min = 0, max = 100_000) int cutSeed) {
        byte[] encoded = encode(ops, leaderTimeMs);
        int cut = cutSeed % encoded.length;
        // A buffer that ends exactly at the cut: any read past it trips Agrona's bounds check.
        UnsafeBuffer truncated = new UnsafeBuffer(Arrays.copyOf(encoded, cut));

        assertThatThrownBy(() -> new LogEntryFlyweight().wrap(truncated, 0, cut))
            .isInstanceOf(MalformedLogEntryException.class);
    }

    @Property
    void corruptedBytesAreRejectedOrReadStrictlyInBounds(@ForAll("ops") List<ModelOp> ops,
                                                         @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 100_000) Integer> positions,
                                                         @ForAll @Size(min = 4, max = 4) List<Byte> replacements) {
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

    @Property
    void anyVersionButTheCurrentIsRejected(@ForAll("ops") List<ModelOp> ops, @ForAll byte version) {
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
