package io.shardgrid.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads back what a load helper wrote, a slice at a time: one {@code getAll} of every key a fast
 * writer acknowledged (13,000 and more) puts them all in flight to one node at once, past the
 * client's per-node limit, and fails with RESOURCE_EXHAUSTED instead of answering.
 */
final class ReadBack {
    private static final int SLICE = 512;

    private ReadBack() {
    }

    /** The keys of {@code acknowledged} whose value a read returns now is not the acknowledged one. */
    static List<String> missing(GridClient client, Map<String, String> acknowledged) {
        List<String> keys = new ArrayList<>(acknowledged.keySet());
        List<Optional<byte[]>> values = values(client, keys);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            String expected = acknowledged.get(keys.get(i));
            if (!values.get(i).map(v -> new String(v, StandardCharsets.UTF_8)).equals(Optional.of(expected))) {
                missing.add(keys.get(i));
            }
        }
        return missing;
    }

    /** The current value of each key, in order. */
    private static List<Optional<byte[]>> values(GridClient client, List<String> keys) {
        List<Optional<byte[]>> values = new ArrayList<>(keys.size());
        for (int from = 0; from < keys.size(); from += SLICE) {
            List<byte[]> slice = keys.subList(from, Math.min(keys.size(), from + SLICE)).stream()
                .map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
            values.addAll(client.getAll(slice).join());
        }
        return values;
    }
}
