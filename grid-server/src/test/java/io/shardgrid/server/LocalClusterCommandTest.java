package io.shardgrid.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalClusterCommandTest {

    @Test
    void theDefaultPartitionCountIsFourPerCoreAPowerOfTwoFromEightToSixtyFour() {
        assertThat(LocalClusterCommand.partitionsForCores(1)).isEqualTo(8);
        assertThat(LocalClusterCommand.partitionsForCores(2)).isEqualTo(8);
        assertThat(LocalClusterCommand.partitionsForCores(3)).isEqualTo(8);
        assertThat(LocalClusterCommand.partitionsForCores(4)).isEqualTo(16);
        assertThat(LocalClusterCommand.partitionsForCores(6)).isEqualTo(16);
        assertThat(LocalClusterCommand.partitionsForCores(8)).isEqualTo(32);
        assertThat(LocalClusterCommand.partitionsForCores(16)).isEqualTo(64);
        assertThat(LocalClusterCommand.partitionsForCores(96)).isEqualTo(64);
    }
}
