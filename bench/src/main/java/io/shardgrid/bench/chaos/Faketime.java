package io.shardgrid.bench.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * libfaketime (Debian package {@code faketime}), preloaded into a node's JVM to move its wall clock
 * by a fixed offset. Only the wall clock moves ({@code FAKETIME_DONT_FAKE_MONOTONIC}): the JVM's
 * timers and Ratis's leader lease run on the monotonic clock, which a real clock step does not move
 * either, so the node sees what a host whose NTP stepped its clock sees.
 *
 * <p>{@code FAKETIME_FORCE_MONOTONIC_FIX=0}: libfaketime 0.9.10's default fix-up of
 * {@code pthread_cond_timedwait} made the JVM's timed waits (which run on the monotonic clock) end
 * early, so its threads spun: a node took 90 s instead of 12 to start, burning two cores. Without it
 * the waits last as long as asked.
 */
final class Faketime {
    private static final Path LIB_ROOT = Path.of("/usr/lib");

    private Faketime() {
    }

    /** The preload library if the package is installed. */
    static Optional<Path> library() {
        Path debian = Path.of("faketime", "libfaketime.so.1");
        try (Stream<Path> arches = Files.isDirectory(LIB_ROOT) ? Files.list(LIB_ROOT) : Stream.empty()) {
            return Stream.concat(Stream.of(LIB_ROOT), arches)
                .map(dir -> dir.resolve(debian))
                .filter(Files::isReadable)
                .findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The environment that runs a process with its wall clock {@code offsetSeconds} off (either sign). */
    static Map<String, String> environment(Path library, long offsetSeconds) {
        return Map.of(
            "LD_PRELOAD", library.toString(),
            "FAKETIME", (offsetSeconds >= 0 ? "+" : "") + offsetSeconds + "s",
            "FAKETIME_DONT_FAKE_MONOTONIC", "1",
            "FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }
}
