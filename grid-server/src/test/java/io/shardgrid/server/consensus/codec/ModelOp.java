package io.shardgrid.server.consensus.codec;

import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.COMPARE_AND_SET;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.DELETE;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.EVICT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.INCREMENT;
import static io.shardgrid.server.consensus.codec.LogEntryDescriptor.SET;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.shardgrid.common.limits.Limits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** One op as plain objects: the model the codec tests compare the flyweights against. */
record ModelOp(int type, byte[] key, byte[] value, boolean expectAbsent, byte[] expected, long delta, long ttlMs) {
    private static final byte[] NONE = new byte[0];

    static ModelOp set(byte[] key, byte[] value, long ttlMs) {
        return new ModelOp(SET, key, value, false, NONE, 0, ttlMs);
    }

    static ModelOp delete(byte[] key) {
        return new ModelOp(DELETE, key, NONE, false, NONE, 0, 0);
    }

    static ModelOp compareAndSet(byte[] key, boolean expectAbsent, byte[] expected, byte[] value, long ttlMs) {
        return new ModelOp(COMPARE_AND_SET, key, value, expectAbsent, expectAbsent ? NONE : expected, 0, ttlMs);
    }

    static ModelOp increment(byte[] key, long delta, long ttlMs) {
        return new ModelOp(INCREMENT, key, NONE, false, NONE, delta, ttlMs);
    }

    static ModelOp evict(byte[] key) {
        return new ModelOp(EVICT, key, NONE, false, NONE, 0, 0);
    }

    static ModelOp expire(byte[] key) {
        return new ModelOp(LogEntryDescriptor.EXPIRE, key, NONE, false, NONE, 0, 0);
    }

    /** Appends this op to {@code encoder}. */
    void appendTo(LogEntryEncoder encoder) {
        DirectBuffer k = new UnsafeBuffer(key);
        DirectBuffer v = new UnsafeBuffer(value);
        switch (type) {
            case SET -> encoder.appendSet(k, 0, key.length, v, 0, value.length, ttlMs);
            case DELETE -> encoder.appendDelete(k, 0, key.length);
            case COMPARE_AND_SET -> encoder.appendCompareAndSet(k, 0, key.length, expectAbsent,
                new UnsafeBuffer(expected), 0, expected.length, v, 0, value.length, ttlMs);
            case INCREMENT -> encoder.appendIncrement(k, 0, key.length, delta, ttlMs);
            case EVICT -> encoder.appendEvict(k, 0, key.length);
            case LogEntryDescriptor.EXPIRE -> encoder.appendExpire(k, 0, key.length);
            default -> throw new IllegalArgumentException("type " + type);
        }
    }

    int encodedLength() {
        return LogEntryEncoder.encodedOpLength(type, key.length, value.length, expected.length);
    }

    /** The deadline the encoder must write for this op in an entry stamped {@code leaderTimeMs}. */
    long expireAtMs(long leaderTimeMs) {
        boolean carriesDeadline = type == SET || type == COMPARE_AND_SET || type == INCREMENT;
        return carriesDeadline && ttlMs != 0 ? leaderTimeMs + ttlMs : 0;
    }

    /** Reads the op under {@code op} back into a model op; the TTL is recovered from the deadline. */
    static ModelOp read(LogOpFlyweight op, long leaderTimeMs) {
        DirectBuffer b = op.buffer();
        long ttlMs = op.expireAtMs() == 0 ? 0 : op.expireAtMs() - leaderTimeMs;
        return new ModelOp(op.type(), bytes(b, op.keyOffset(), op.keyLength()), bytes(b, op.valueOffset(), op.valueLength()),
            op.expectAbsent(), bytes(b, op.expectedOffset(), op.expectedLength()), op.delta(), ttlMs);
    }

    static List<ModelOp> readAll(LogEntryFlyweight entry) {
        List<ModelOp> ops = new ArrayList<>();
        LogOpFlyweight op = entry.ops();
        while (op.next()) {
            ops.add(read(op, entry.leaderTimeMs()));
        }
        return ops;
    }

    /**
     * Any op, each type equally likely: keys of 1–48 bytes, values of 0–300, half without TTL, and increment
     * deltas over all longs with 0, ±1 and the extremes one time in ten.
     */
    static Gen<ModelOp> gen() {
        Gen<byte[]> keys = byteArrays(1, 48);
        Gen<byte[]> values = byteArrays(0, 300);
        Gen<Long> ttls = Generate.oneOf(Generate.constant(0L), longs().between(1, Limits.MAX_TTL_MS));
        Gen<Long> deltas = longs().all().mix(Generate.pick(List.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE)), 10);
        return Generate.oneOf(
            keys.zip(values, ttls, ModelOp::set),
            keys.map(ModelOp::delete),
            keys.zip(booleans().all(), values, values, ttls, ModelOp::compareAndSet),
            keys.zip(deltas, ttls, ModelOp::increment),
            keys.map(ModelOp::evict));
    }

    static Gen<byte[]> byteArrays(int minLength, int maxLength) {
        return Generate.byteArrays(integers().between(minLength, maxLength),
            Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    }

    private static byte[] bytes(DirectBuffer buffer, int offset, int length) {
        byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return copy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelOp m && type == m.type && Arrays.equals(key, m.key) && Arrays.equals(value, m.value)
            && expectAbsent == m.expectAbsent && Arrays.equals(expected, m.expected) && delta == m.delta
            && ttlMs == m.ttlMs;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type + Arrays.hashCode(key)) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return LogEntryDescriptor.typeName(type) + "(key=" + Arrays.toString(key) + ", value=" + Arrays.toString(value)
            + ", expectAbsent=" + expectAbsent + ", expected=" + Arrays.toString(expected) + ", delta=" + delta
            + ", ttlMs=" + ttlMs + ")";
    }
}
