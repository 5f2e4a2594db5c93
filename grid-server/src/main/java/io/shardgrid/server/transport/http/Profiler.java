package io.shardgrid.server.transport.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * The seed's pprof, the JVM way: a JFR recording with the "profile" settings for a while, minus the
 * events that copy the process's environment, JVM arguments and system properties into the file
 * (where the admin token and other secrets passed to the node would travel with every recording).
 */
final class Profiler {
    /** JFR events that record the process's secrets-bearing startup state. */
    static final Set<String> LEFT_OUT = Set.of("jdk.InitialEnvironmentVariable", "jdk.JVMInformation",
        "jdk.InitialSystemProperty");

    private Profiler() {
    }

    static byte[] record(Duration length) throws IOException, ParseException, InterruptedException {
        Map<String, String> settings = new HashMap<>(Configuration.getConfiguration("profile").getSettings());
        for (String event : LEFT_OUT) {
            settings.put(event + "#enabled", "false");
        }
        Path file = Files.createTempFile("shardgrid-profile", ".jfr");
        try (Recording recording = new Recording(settings)) {
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
