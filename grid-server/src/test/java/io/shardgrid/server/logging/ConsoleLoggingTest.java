package io.shardgrid.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConsoleLoggingTest {
    @Test
    void logbackFindsItAsAServiceAndSetsTheNodesLevelsAndFormat() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);

        assertThat(LoggerFactory.getLogger("io.shardgrid.server.GridNode").isInfoEnabled()).isTrue();
        assertThat(LoggerFactory.getLogger("org.apache.ratis.server.impl.RaftServerImpl").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.apache.ratis.server.impl.RaftServerImpl").isWarnEnabled()).isTrue();
        assertThat(LoggerFactory.getLogger("io.grpc.internal.ManagedChannelImpl").isInfoEnabled()).isFalse();
        assertThat(root.getAppender("STDERR")).isInstanceOfSatisfying(ConsoleAppender.class, stderr -> {
            assertThat(stderr.getTarget()).isEqualTo("System.err");
            assertThat(stderr.isStarted()).isTrue();
        });
    }
}
