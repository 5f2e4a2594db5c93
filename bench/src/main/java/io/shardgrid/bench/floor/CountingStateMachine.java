package io.shardgrid.bench.floor;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The cheapest state machine raft can drive: it applies an entry by recording its term-index and
 * answers with the entry's op count, so the floor measures raft alone (log, replication, fsync,
 * apply hand-off), not a store.
 *
 * <pre>
 * entry:  0      4                 4 + n × {@value FloorEntry#OP_BYTES}
 *         +------+---------------------+
 *         | n    | n ops (opaque)      |   n: int32 big-endian
 *         +------+---------------------+
 * reply:  | n    |                          -1 when the entry is shorter than 4 bytes
 * </pre>
 */
final class CountingStateMachine extends BaseStateMachine {
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        ByteString data = entry.getStateMachineLogEntry().getLogData();
        int count = data.size() >= Integer.BYTES ? data.asReadOnlyByteBuffer().getInt(0) : -1;
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        ByteBuffer reply = ByteBuffer.allocate(Integer.BYTES).putInt(0, count);
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply)));
    }
}
