package io.opsflow.logs;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import io.opsflow.step.exec.StepLog;

/**
 * Where analyze-logs reads logs from; the delegates are thin adapters onto this port. Both sources hand each line
 * to {@code sink} in the stored form {@code <host>\t<source>\t<line as logged>} as it arrives (nothing is held in
 * memory) and return what they did. The real implementation is {@link FleetLogSources}; process tests mock it.
 */
public interface LogSources {

    /** Every host's application and load balancer logs of the window, over SSH ({@code collect-logs.sh}). */
    Collected overSsh(String environment, List<String> hosts, String application, Instant from, Instant to,
                      Consumer<String> sink, StepLog log);

    /** The same from Loki's HTTP API ({@code query_range}, LogQL) at {@code lokiUrl}. */
    Collected fromLoki(String lokiUrl, String environment, List<String> hosts, String application, Instant from,
                       Instant to, Consumer<String> sink, StepLog log);

    /** Lines handed over, whether a size limit cut the window short, and remarks for the report. */
    record Collected(long lines, boolean truncated, List<String> notes) {
        public Collected {
            notes = List.copyOf(notes);
        }
    }
}
