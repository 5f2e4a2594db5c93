package io.shardgrid.bench.floor;

import io.shardgrid.server.config.Durability;
import io.shardgrid.server.config.ServerConfig;
import io.shardgrid.server.consensus.RatisTuning;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;

/**
 * One server process of the Ratis floor: a {@link RaftServer} with the node's own settings
 * ({@link RatisTuning}) and a {@link CountingStateMachine} for every group added to it.
 * Started by {@link FloorCluster}; prints {@value #READY} on stdout once it listens and exits
 * when its stdin closes, so it never outlives the driver that started it.
 *
 * <p>Arguments: {@code nodeId raftHost:port dataDir SYNC|ASYNC}.
 */
public final class FloorServer {
    static final String READY = "FLOOR-SERVER-READY";

    private FloorServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: FloorServer nodeId raftHost:port dataDir SYNC|ASYNC");
            System.exit(2);
        }
        String nodeId = args[0];
        Path dataDir = Path.of(args[2]);
        ServerConfig config = ServerConfig.defaults()
            .withNode(nodeId, "127.0.0.1:0", "127.0.0.1:0", args[1], dataDir)
            .withDurability(Durability.valueOf(args[3]));
        File storage = dataDir.resolve("raft").toFile();
        Files.createDirectories(storage.toPath());
        RaftServer server = RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(nodeId))
            .setProperties(RatisTuning.properties(config, storage))
            .setStateMachineRegistry(groupId -> new CountingStateMachine())
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
        server.start();
        System.out.println(READY);
        System.out.flush();
        awaitStdinClosed(System.in);
        Runtime.getRuntime().halt(0);
    }

    private static void awaitStdinClosed(InputStream in) {
        byte[] sink = new byte[64];
        try {
            while (in.read(sink) >= 0) {
                // the driver never writes; EOF means it closed the pipe or died
            }
        } catch (IOException e) {
            // a broken pipe means the same
        }
    }
}
