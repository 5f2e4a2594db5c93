package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short system command for the nemesis ({@code ip}, {@code mount}), bounded to 10 s. */
final class SystemCommand {
    private SystemCommand() {
    }

    /** Null on success, else the command with its exit code and output, or why it could not run. */
    static String run(List<String> command) throws InterruptedException {
        String name = String.join(" ", command);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return name + ": timed out";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? null : name + ": exit " + p.exitValue() + " " + out;
        } catch (IOException e) {
            return name + ": " + e.getMessage();
        }
    }
}
