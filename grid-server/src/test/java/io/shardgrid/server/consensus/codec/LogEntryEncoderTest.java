package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.COMPARE_AND_SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELETE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EVICT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.INCREMENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_KEY_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_OP_COUNT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.MAX_VALUE_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.OP_HEADER_LENGTH;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.SET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shardgrid.common.limits.Limits;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class LogEntryEncoderTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final UnsafeBuffer K = new UnsafeBuffer(new byte[] {'k'});
    private static final UnsafeBuffer V = new UnsafeBuffer(new byte[] {'v', 'v'});

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final LogEntryEncoder encoder = new LogEntryEncoder().wrap(buffer, 0);

    @Test
    void layoutIsLittleEndianAsDrawnInTheDescriptor() {
        encoder.reset(0x0102030405060708L)
            .appendSet(K, 0, 1, V, 0, 2, 0x10)
            .appendCompareAndSet(K, 0, 1, true, null, 0, 0, V, 0, 1, 0)
            .appendIncrement(new UnsafeBuffer(new byte[] {'n'}), 0, 1, -2, 0);

        assertThat(bytes(encoder)).isEqualTo(new byte[] {
            1, 0, 3, 0, 8, 7, 6, 5, 4, 3, 2, 1,
            1, 0, 1, 0, 2, 0, 0, 0, 0x18, 7, 6, 5, 4, 3, 2, 1, 'k', 'v', 'v',
            3, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'k', 'v', 0, 0, 0, 0,
            4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'n', -2, -1, -1, -1, -1, -1, -1, -1});
    }

    @Test
    void expireAtIsLeaderTimePlusTtlAndZeroTtlNeverExpires() {
        encoder.reset(T0)
            .appendSet(K, 0, 1, V, 0, 2, 1_500)
            .appendSet(K, 0, 1, V, 0, 2, 0)
            .appendCompareAndSet(K, 0, 1, false, V, 0, 2, V, 0, 1, 60_000)
            .appendIncrement(K, 0, 1, 1, Limits.MAX_TTL_MS)
            .appendDelete(K, 0, 1);

        LogOpFlyweight op = new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength()).ops();
        long[] deadlines = new long[5];
        while (op.next()) {
            deadlines[op.index()] = op.expireAtMs();
        }
        assertThat(deadlines).containsExactly(T0 + 1_500, 0, T0 + 60_000, T0 + Limits.MAX_TTL_MS, 0);
    }

    @Test
    void rejectsNegativeOrTooLongTtlNamingTheValue() {
        encoder.reset(T0);

        assertThatThrownBy(() -> encoder.appendSet(K, 0, 1, V, 0, 2, -5))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl -5 ms");
        assertThatThrownBy(() -> encoder.appendIncrement(K, 0, 1, 1, Limits.MAX_TTL_MS + 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl " + (Limits.MAX_TTL_MS + 1));
        assertThat(encoder.opCount()).isZero();
    }

    @Test
    void rejectsEmptyOrOversizeKeysAndValuesNamingTheLength() {
        encoder.reset(T0);
        UnsafeBuffer big = new UnsafeBuffer(new byte[MAX_KEY_LENGTH + 1]);

        assertThatThrownBy(() -> encoder.appendDelete(K, 0, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key length 0");
        assertThatThrownBy(() -> encoder.appendEvict(big, 0, MAX_KEY_LENGTH + 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key length 65536");
        assertThatThrownBy(() -> encoder.appendSet(K, 0, 1, V, 0, MAX_VALUE_LENGTH + 1, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value length " + (MAX_VALUE_LENGTH + 1));
        assertThatThrownBy(() -> encoder.appendCompareAndSet(K, 0, 1, false, V, 0, -1, V, 0, 2, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected length -1");
        assertThatThrownBy(() -> encoder.appendCompareAndSet(K, 0, 1, true, V, 0, 2, V, 0, 2, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected length 2 must be 0");
        assertThat(encoder.opCount()).isZero();
        assertThat(encoder.encodedLength()).isEqualTo(HEADER_LENGTH);
    }

    @Test
    void rejectedAppendLeavesTheEntryAsItWas() {
        encoder.reset(T0).appendSet(K, 0, 1, V, 0, 2, 0);
        byte[] before = bytes(encoder);

        assertThatThrownBy(() -> encoder.appendSet(K, 0, 1, V, 0, 2, -1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(bytes(encoder)).isEqualTo(before);
        assertThat(new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength()).opCount()).isEqualTo(1);
    }

    @Test
    void largestKeyRoundTrips() {
        byte[] key = new byte[MAX_KEY_LENGTH];
        Arrays.fill(key, (byte) 7);
        encoder.reset(T0).appendEvict(new UnsafeBuffer(key), 0, key.length);

        LogOpFlyweight op = new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength()).ops();
        assertThat(op.next()).isTrue();
        assertThat(op.keyLength()).isEqualTo(MAX_KEY_LENGTH);
        assertThat(op.type()).isEqualTo(EVICT);
    }

    @Test
    void rejectsTheOpPastTheOpCountLimit() {
        encoder.reset(T0);
        for (int i = 0; i < MAX_OP_COUNT; i++) {
            encoder.appendDelete(K, 0, 1);
        }

        assertThatThrownBy(() -> encoder.appendDelete(K, 0, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op count 65536 exceeds limit 65535");
        assertThat(new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength()).opCount()).isEqualTo(MAX_OP_COUNT);
    }

    @Test
    void rejectsAnEntryThatOutgrowsAFixedBuffer() {
        UnsafeBuffer fixed = new UnsafeBuffer(new byte[HEADER_LENGTH + OP_HEADER_LENGTH + 2]);
        LogEntryEncoder small = new LogEntryEncoder().wrap(fixed, 0).reset(T0).appendDelete(K, 0, 1);

        assertThatThrownBy(() -> small.appendDelete(K, 0, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 46 bytes but the buffer holds 30");
        assertThat(small.opCount()).isEqualTo(1);
    }

    @Test
    void appendBeforeResetIsAnError() {
        assertThatThrownBy(() -> encoder.appendDelete(K, 0, 1))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("reset");
        assertThatThrownBy(() -> new LogEntryEncoder().reset(T0))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("wrap");
        assertThatThrownBy(() -> encoder.reset(-1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leader time -1");
    }

    @Test
    void resetStartsAFreshEntryInTheSameBuffer() {
        encoder.reset(T0).appendSet(K, 0, 1, V, 0, 2, 0).appendDelete(K, 0, 1);

        encoder.reset(T0 + 1).appendEvict(K, 0, 1);

        LogEntryFlyweight entry = new LogEntryFlyweight().wrap(buffer, 0, encoder.encodedLength());
        assertThat(entry.leaderTimeMs()).isEqualTo(T0 + 1);
        assertThat(ModelOp.readAll(entry)).containsExactly(ModelOp.evict(new byte[] {'k'}));
    }

    @Test
    void encodedOpLengthCountsOnlyTheFieldsEachTypeCarries() {
        assertThat(LogEntryEncoder.encodedOpLength(SET, 3, 10, 99)).isEqualTo(OP_HEADER_LENGTH + 3 + 10);
        assertThat(LogEntryEncoder.encodedOpLength(DELETE, 3, 10, 99)).isEqualTo(OP_HEADER_LENGTH + 3);
        assertThat(LogEntryEncoder.encodedOpLength(EVICT, 3, 0, 0)).isEqualTo(OP_HEADER_LENGTH + 3);
        assertThat(LogEntryEncoder.encodedOpLength(COMPARE_AND_SET, 3, 10, 5)).isEqualTo(OP_HEADER_LENGTH + 3 + 10 + 4 + 5);
        assertThat(LogEntryEncoder.encodedOpLength(INCREMENT, 3, 10, 99)).isEqualTo(OP_HEADER_LENGTH + 3 + 8);
        assertThatThrownBy(() -> LogEntryEncoder.encodedOpLength(9, 3, 0, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op type 9");
    }

    /**
     * The hot-path promise, checked without JMH: after warm-up, encoding and reading back 100,000
     * ops allocates (next to) nothing on this thread, so nothing is allocated per op.
     */
    @Test
    void encodingAndIteratingAllocateNothingPerOp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        ExpandableArrayBuffer entryBuffer = new ExpandableArrayBuffer(64 * 1024);
        LogEntryEncoder reused = new LogEntryEncoder();
        LogEntryFlyweight entry = new LogEntryFlyweight();
        UnsafeBuffer key = new UnsafeBuffer(new byte[24]);
        UnsafeBuffer value = new UnsafeBuffer(new byte[100]);
        encodeAndRead(reused, entry, entryBuffer, key, value, 2_000);

        long before = threads.getCurrentThreadAllocatedBytes();
        long checksum = encodeAndRead(reused, entry, entryBuffer, key, value, 1_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(checksum).isNotZero();
        assertThat(allocated).as("bytes allocated while encoding and reading 100,000 ops").isLessThan(1_024);
    }

    /** {@code batches} entries of 100 ops each, all five types; returns a sum so nothing is dead code. */
    private static long encodeAndRead(LogEntryEncoder encoder, LogEntryFlyweight entry, ExpandableArrayBuffer buffer,
                                      DirectBuffer key, DirectBuffer value, int batches) {
        long sum = 0;
        for (int b = 0; b < batches; b++) {
            encoder.wrap(buffer, 0).reset(T0 + b);
            for (int i = 0; i < 20; i++) {
                encoder.appendSet(key, 0, 24, value, 0, 100, 1_000)
                    .appendDelete(key, 0, 24)
                    .appendCompareAndSet(key, 0, 24, false, value, 0, 50, value, 0, 100, 0)
                    .appendIncrement(key, 0, 24, i, 0)
                    .appendEvict(key, 0, 24);
            }
            LogOpFlyweight op = entry.wrap(buffer, 0, encoder.encodedLength()).ops();
            while (op.next()) {
                sum += op.type() + op.keyOffset() + op.valueLength() + op.expireAtMs() + op.delta() + op.expectedLength()
                    + (op.expectAbsent() ? 1 : 0);
            }
        }
        return sum;
    }

    private static byte[] bytes(LogEntryEncoder encoder) {
        byte[] bytes = new byte[encoder.encodedLength()];
        encoder.buffer().getBytes(encoder.offset(), bytes);
        return bytes;
    }
}
