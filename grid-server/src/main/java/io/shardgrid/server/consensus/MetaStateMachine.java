package io.shardgrid.server.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardgrid.common.routing.PartitionMap;
import io.shardgrid.common.routing.PartitionMapCodec;
import io.shardgrid.proto.v1.PartitionMapMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta group's state: the partition map with its node directory.
 *
 * <p>Every command is a whole proposed map; it is installed only if its epoch is exactly one more
 * than the current one (or it is the first map). That turns every change into a compare-and-set
 * on the epoch: two concurrent proposers cannot both win, and the loser re-reads and retries.
 * The reply is one byte (1 = installed, 0 = rejected) followed by the current epoch.
 */
final class MetaStateMachine extends SnapshottingStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);

    private volatile PartitionMap map;
    private final List<Consumer<PartitionMap>> listeners = new CopyOnWriteArrayList<>();

    PartitionMap map() {
        return map;
    }

    void addListener(Consumer<PartitionMap> listener) {
        listeners.add(listener);
    }

    /**
     * A new state machine for a meta replica created again after this one's was deleted (a state
     * machine starts only once): no map yet, the same listeners.
     */
    MetaStateMachine successor() {
        MetaStateMachine next = new MetaStateMachine();
        next.listeners.addAll(listeners);
        return next;
    }

    static Message propose(PartitionMap next) {
        return Message.valueOf(ByteString.copyFrom(PartitionMapCodec.toMessage(next).toByteArray()));
    }

    static boolean installed(Message reply) {
        return reply.getContent().size() >= 1 && reply.getContent().byteAt(0) == 1;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        boolean installed = false;
        try {
            PartitionMap proposed = PartitionMapCodec.fromMessage(PartitionMapMessage.parseFrom(
                entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer()));
            PartitionMap current = map;
            if (current == null || proposed.epoch() == current.epoch() + 1) {
                map = proposed;
                installed = true;
            }
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            LOG.warn("{}: ignoring malformed meta command at {}: {}", getId(), entry.getIndex(), e.getMessage());
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        PartitionMap now = map;
        if (installed) {
            LOG.info("{}: partition map epoch {} installed", getId(), now.epoch());
            for (Consumer<PartitionMap> listener : listeners) {
                listener.accept(now);
            }
        }
        ByteBuffer reply = ByteBuffer.allocate(9).put((byte) (installed ? 1 : 0)).putLong(now == null ? 0 : now.epoch());
        reply.flip();
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply)));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        PartitionMap current = map;
        byte[] bytes = current == null ? new byte[0] : PartitionMapCodec.toMessage(current).toByteArray();
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(bytes)));
    }

    @Override
    protected void writeState(OutputStream out) throws IOException {
        PartitionMap current = map;
        if (current != null) {
            PartitionMapCodec.toMessage(current).writeTo(out);
        }
    }

    @Override
    protected void readState(InputStream in) throws IOException {
        byte[] bytes = in.readAllBytes();
        map = bytes.length == 0 ? null : PartitionMapCodec.fromMessage(PartitionMapMessage.parseFrom(bytes));
        PartitionMap now = map;
        if (now != null) {
            for (Consumer<PartitionMap> listener : listeners) {
                listener.accept(now);
            }
        }
    }

    @Override
    protected void resetState() {
        map = null;
    }
}
