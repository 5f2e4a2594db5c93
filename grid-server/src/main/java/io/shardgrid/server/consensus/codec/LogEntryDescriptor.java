package io.shardgrid.server.consensus.codec;

import io.shardgrid.common.limits.Limits;
import java.nio.ByteOrder;

/**
 * Byte layout of one raft log entry: a batch of partition writes closed by the leader's
 * group-commit batcher and applied, in order, by every replica's state machine.
 *
 * <p>Entry header, {@link #HEADER_LENGTH} bytes, followed by {@code opCount} ops:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |  version u8   |  reserved u8  |          opCount u16          |
 *  +---------------+---------------+-------------------------------+
 *  |                        leaderTimeMs i64                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                              op …                             |
 * </pre>
 *
 * <p>Op, {@link #OP_HEADER_LENGTH} bytes of header, then the key, the value and the fields only
 * some types carry:
 * <pre>
 *  +---------------+---------------+-------------------------------+
 *  |    type u8    |   flags u8    |           keyLen u16          |
 *  +---------------+---------------+-------------------------------+
 *  |                          valueLen i32                         |
 *  +---------------------------------------------------------------+
 *  |                    expireAtMs i64 (0 = never)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        key (keyLen bytes)                   ...
 *  +---------------------------------------------------------------+
 *  |                      value (valueLen bytes)                 ...
 *  +---------------------------------------------------------------+
 *  |  COMPARE_AND_SET: expectedLen i32, expected (expectedLen bytes)
 *  |  INCREMENT:       delta i64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Per type: {@link #SET} carries key, value and deadline. {@link #DELETE}, {@link #EVICT} and
 * {@link #EXPIRE} carry only the key ({@code valueLen} and {@code expireAtMs} are 0). {@link #COMPARE_AND_SET}
 * carries key, new value, deadline and the expected value; with {@link #FLAG_EXPECT_ABSENT} set
 * the expected value is empty and the op succeeds only when the key is absent.
 * {@link #INCREMENT} carries key, {@code delta} and the deadline used if the increment creates the
 * key; its {@code valueLen} is 0.
 *
 * <p>Design notes. Every integer is little-endian regardless of the platform, so a log written on
 * one machine replays on any other. Fields are packed, not aligned: entries are replicated and
 * stored many times over, and x86 and aarch64 read unaligned words at full speed. Deadlines are
 * absolute ({@code leaderTimeMs + ttlMs}), computed once by the leader, so replicas that apply
 * the entry later agree on when a key dies. EVICT exists because eviction under memory pressure
 * changes state, so the leader decides it and replicates it like any write. EXPIRE is how the
 * leader reclaims the memory of expired keys it found (docs/MEMORY.md): it removes the key only if
 * its deadline has passed at the entry's time, so a key rewritten meanwhile survives. Clearing a
 * whole partition has no client operation and so no op type; codes 0 and 7-255 are rejected.
 */
public final class LogEntryDescriptor {
    /** The only version this code writes and reads. */
    public static final int VERSION = 1;
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    public static final int VERSION_OFFSET = 0;
    public static final int RESERVED_OFFSET = 1;
    public static final int OP_COUNT_OFFSET = 2;
    public static final int LEADER_TIME_MS_OFFSET = 4;
    public static final int HEADER_LENGTH = 12;

    public static final int OP_TYPE_OFFSET = 0;
    public static final int OP_FLAGS_OFFSET = 1;
    public static final int OP_KEY_LENGTH_OFFSET = 2;
    public static final int OP_VALUE_LENGTH_OFFSET = 4;
    public static final int OP_EXPIRE_AT_MS_OFFSET = 8;
    public static final int OP_HEADER_LENGTH = 16;

    /** Length of the COMPARE_AND_SET {@code expectedLen} field that follows the value. */
    public static final int EXPECTED_LENGTH_FIELD_LENGTH = 4;
    /** Length of the INCREMENT {@code delta} field that follows the (empty) value. */
    public static final int DELTA_FIELD_LENGTH = 8;

    public static final int SET = 1;
    public static final int DELETE = 2;
    public static final int COMPARE_AND_SET = 3;
    public static final int INCREMENT = 4;
    public static final int EVICT = 5;
    public static final int EXPIRE = 6;

    /** COMPARE_AND_SET only: succeed only when the key is absent; the expected value is empty. */
    public static final int FLAG_EXPECT_ABSENT = 0x01;

    /** {@code opCount} is an unsigned 16-bit field. */
    public static final int MAX_OP_COUNT = 0xFFFF;
    /** {@code keyLen} is an unsigned 16-bit field; empty keys are never valid. */
    public static final int MAX_KEY_LENGTH = Limits.KEY_BYTES_CEILING;
    /** Values and expected values; far below what {@code valueLen}'s i32 could hold. */
    public static final int MAX_VALUE_LENGTH = Limits.VALUE_BYTES_CEILING;
    /** Largest entry the encoder writes: the largest array Agrona's expandable buffers grow to. */
    public static final int MAX_ENTRY_LENGTH = Integer.MAX_VALUE - 8;
    /** Keeps {@code leaderTimeMs + ttlMs} from overflowing for every accepted TTL. */
    public static final long MAX_LEADER_TIME_MS = Long.MAX_VALUE - Limits.MAX_TTL_MS;

    private LogEntryDescriptor() {
    }

    /** Whether {@code type} is one of the op type codes above. */
    public static boolean isKnownType(int type) {
        return type >= SET && type <= EXPIRE;
    }

    /** The op type's name, for messages and logs. */
    public static String typeName(int type) {
        return switch (type) {
            case SET -> "SET";
            case DELETE -> "DELETE";
            case COMPARE_AND_SET -> "COMPARE_AND_SET";
            case INCREMENT -> "INCREMENT";
            case EVICT -> "EVICT";
            case EXPIRE -> "EXPIRE";
            default -> "UNKNOWN(" + type + ")";
        };
    }
}
