package io.shardgrid.server.consensus;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file so that a power loss leaves either the old or the whole new one: written under a
 * temporary name, fsynced, renamed over the target, and the directory fsynced so the rename lasts.
 */
final class DurableFiles {
    /** Writes the new content to the stream it is given. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private DurableFiles() {
    }

    static void replace(Path target, Path temp, Content content) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024)) {
            content.writeTo(out);
            out.flush();
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(target.getParent());
    }

    /** Makes the directory's entries (the renames into it) durable; Linux allows fsync on a directory. */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
