package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small tmpfs mounted with {@code mount -t tmpfs} (needs root) and unmounted on {@link #close()}. */
final class TmpfsMount implements AutoCloseable {
    private final Path path;

    private TmpfsMount(Path path) {
        this.path = path;
    }

    /** Mounts a tmpfs of {@code size} (e.g. {@code 96m}) at {@code path}; null if {@code mount} fails. */
    static TmpfsMount mount(Path path, String size) throws IOException, InterruptedException {
        Files.createDirectories(path);
        return SystemCommand.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path.toString())) == null
            ? new TmpfsMount(path) : null;
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            String error = SystemCommand.run(List.of("umount", path.toString()));
            if (error != null) {
                error = SystemCommand.run(List.of("umount", "-l", path.toString()));
            }
            if (error != null) {
                System.err.println("chaos: could not unmount " + path + ": " + error);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
