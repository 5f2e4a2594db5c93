package io.shardgrid.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads back what a load helper wrote (13,000 keys and more: {@code getAll} paces them itself). */
final class ReadBack {
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
        return client.getAll(keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList()).join();
    }
}
