package io.opsflow.restart;

import java.util.ArrayList;
import java.util.List;

/** Splits hosts into consecutive batches of at most {@code size} hosts, in configuration order. */
final class RestartBatches {
    private RestartBatches() {
    }

    static List<List<String>> of(List<String> hosts, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1");
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i += size) {
            out.add(new ArrayList<>(hosts.subList(i, Math.min(hosts.size(), i + size))));
        }
        return out;
    }
}
