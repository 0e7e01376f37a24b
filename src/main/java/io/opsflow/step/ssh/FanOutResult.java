package io.opsflow.step.ssh;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Outcome of {@link SshFanOut#forEach}: one entry per host, in the order the hosts were given. */
public record FanOutResult<T>(List<HostOutcome<T>> outcomes) {

    public FanOutResult {
        outcomes = List.copyOf(outcomes);
    }

    /** One host: the function's value, or the exception it (or connecting) threw. */
    public record HostOutcome<T>(SshTarget target, T value, Exception error, Duration duration) {
        public boolean succeeded() {
            return error == null;
        }

        public String host() {
            return target.host();
        }
    }

    public boolean allSucceeded() {
        return outcomes.stream().allMatch(HostOutcome::succeeded);
    }

    public List<HostOutcome<T>> failures() {
        return outcomes.stream().filter(o -> !o.succeeded()).toList();
    }

    public List<HostOutcome<T>> successes() {
        return outcomes.stream().filter(HostOutcome::succeeded).toList();
    }

    /** Values of the hosts that succeeded, keyed by {@code user@host:port}. */
    public Map<String, T> values() {
        Map<String, T> m = new LinkedHashMap<>();
        successes().forEach(o -> m.put(o.target().display(), o.value()));
        return m;
    }

    /** One line per failed host: {@code user@host:port: message}. */
    public String failureSummary() {
        return failures().stream().map(o -> o.target().display() + ": " + o.error().getMessage())
                .collect(Collectors.joining("\n"));
    }
}
