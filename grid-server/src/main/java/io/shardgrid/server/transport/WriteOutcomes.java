package io.shardgrid.server.transport;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import io.shardgrid.proto.v1.CompareAndSetResponse;
import io.shardgrid.proto.v1.DeleteResponse;
import io.shardgrid.proto.v1.IncrementResponse;
import io.shardgrid.proto.v1.SetResponse;
import io.shardgrid.server.core.ports.PartitionStore;
import io.shardgrid.server.core.ports.WriteResult;

/** What a write's store outcome answers: the gRPC response, or the grid error it is (the HTTP API too). */
public final class WriteOutcomes {
    private WriteOutcomes() {
    }

    /** Throws the grid error of any outcome but OK. */
    public static void requireOk(WriteResult result) {
        switch (result.status()) {
            case PartitionStore.OK -> {
            }
            case PartitionStore.FULL -> throw new GridException(GridErrorCode.RESOURCE_EXHAUSTED,
                "the node's memory budget is full; nothing was written");
            case PartitionStore.WRONG_TYPE -> throw new GridException(GridErrorCode.WRONG_TYPE,
                "the value is not a decimal signed 64-bit integer, or the increment would overflow");
            case PartitionStore.CONDITION_FAILED -> throw new GridException(GridErrorCode.CONDITION_FAILED,
                "the expected value did not match");
            case PartitionStore.FAILED -> throw new GridException(GridErrorCode.INTERNAL,
                "the write failed while the partition's replicas applied it (the server log says why); the"
                    + " partition is still serving");
            default -> throw new GridException(GridErrorCode.INTERNAL, "unknown store outcome " + result.status());
        }
    }

    static SetResponse setResponse(WriteResult result) {
        requireOk(result);
        return SetResponse.getDefaultInstance();
    }

    static DeleteResponse deleteResponse(WriteResult result) {
        requireOk(result);
        return DeleteResponse.newBuilder().setDeleted(result.applied()).build();
    }

    /** A failed expectation is an answer, not an error: OK with swapped=false, unary and Batch alike. */
    static CompareAndSetResponse compareAndSetResponse(WriteResult result) {
        if (result.status() != PartitionStore.CONDITION_FAILED) {
            requireOk(result);
        }
        return CompareAndSetResponse.newBuilder().setSwapped(result.applied()).build();
    }

    static IncrementResponse incrementResponse(WriteResult result) {
        requireOk(result);
        return IncrementResponse.newBuilder().setValue(result.number()).build();
    }
}
