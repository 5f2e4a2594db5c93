package io.shardgrid.server.consensus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Rewrites a replica's {@code raft-meta} file (its current term and vote) that a full disk left
 * empty.
 *
 * <p>Design notes: Ratis writes the file through a temporary file and a rename, but if the write
 * fails while the buffered text is flushed at close, the still-empty temporary file is renamed over
 * the good one, and the replica can no longer be opened ("'term' not found"). The term and vote it
 * held are lost, so the repair writes the term the failed replica still had in memory — at least
 * every term it ever voted in — and a vote for itself: the replica can then grant no second vote
 * in that term, and older terms are refused anyway, so no term gets two leaders.
 */
final class RaftMetaRepair {
    static final String FILE_NAME = "raft-meta";

    private RaftMetaRepair() {
    }

    /** Whether the file exists and lacks a term (what the failed write leaves); missing is fine. */
    static boolean needsRepair(Path metaFile) throws IOException {
        if (!Files.exists(metaFile)) {
            return false;
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(metaFile)) {
            properties.load(in);
        }
        return properties.getProperty("term") == null;
    }

    /** Writes {@code term} and a vote for {@code selfId}, durably, in the format Ratis reads. */
    static void write(Path metaFile, long term, String selfId) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("term", Long.toString(term));
        properties.setProperty("votedFor", selfId);
        DurableFiles.replace(metaFile, metaFile.resolveSibling(FILE_NAME + ".repair"),
            out -> properties.store(out, "rewritten by Shardgrid after a failed write emptied it"));
    }
}
