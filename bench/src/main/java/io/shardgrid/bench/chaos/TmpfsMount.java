package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A small tmpfs mounted with {@code mount -t tmpfs} (needs root) and unmounted on {@link #close()}. */
final class TmpfsMount implements AutoCloseable {
    private final Path path;

    private TmpfsMount(Path path) {
        this.path = path;
    }

    /** Mounts a tmpfs of {@code size} (e.g. {@code 96m}) at {@code path}; null if {@code mount} fails. */
    static TmpfsMount mount(Path path, String size) throws IOException, InterruptedException {
        Files.createDirectories(path);
        return run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path.toString())) == null
            ? new TmpfsMount(path) : null;
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            String error = run(List.of("umount", path.toString()));
            if (error != null) {
                error = run(List.of("umount", "-l", path.toString()));
            }
            if (error != null) {
                System.err.println("chaos: could not unmount " + path + ": " + error);
            }
        } catch (IOException e) {
            System.err.println("chaos: could not unmount " + path + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Null on success, else the command's output. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + " timed out";
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + " " + output;
    }
}
