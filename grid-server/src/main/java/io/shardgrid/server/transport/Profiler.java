package io.shardgrid.server.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/** The seed's pprof, the JVM way: a JFR recording with the "profile" settings for a while. */
final class Profiler {
    private Profiler() {
    }

    static byte[] record(Duration length) throws IOException, java.text.ParseException, InterruptedException {
        Path file = Files.createTempFile("shardgrid-profile", ".jfr");
        try (Recording recording = new Recording(Configuration.getConfiguration("profile"))) {
            recording.start();
            Thread.sleep(length.toMillis());
            recording.stop();
            recording.dump(file);
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
