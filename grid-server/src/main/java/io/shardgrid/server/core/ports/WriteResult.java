package io.shardgrid.server.core.ports;

/**
 * What applying one {@link WriteCommand} did, as decided identically on every replica.
 *
 * @param status  one of {@link PartitionStore#OK}, {@code FULL}, {@code CONDITION_FAILED}, {@code WRONG_TYPE}
 * @param applied SET/CAS: the value was written; DELETE/EVICT: a key was removed
 * @param number  INCREMENT: the value after the increment
 */
public record WriteResult(int status, boolean applied, long number) {
    public boolean ok() {
        return status == PartitionStore.OK;
    }
}
