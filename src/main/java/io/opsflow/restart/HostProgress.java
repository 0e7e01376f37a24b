package io.opsflow.restart;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/**
 * The run variable {@code hostProgress}: a JSON object host -> state, e.g.
 * {@code {"web-1":"done","web-2":"FAILED: webapp/blue unhealthy","web-3":"pending"}}. Written only by the sequential
 * batch steps (plan, drain, check, undrain), never by the parallel per-host restarts, so no two jobs update it at
 * once. States: pending, drained, restarting, restarted, done, FAILED: detail.
 */
final class HostProgress {
    static final String VARIABLE = "hostProgress";

    private final Map<String, String> states;

    private HostProgress(Map<String, String> states) {
        this.states = states;
    }

    static HostProgress pending(List<String> hosts) {
        Map<String, String> m = new LinkedHashMap<>();
        hosts.forEach(h -> m.put(h, "pending"));
        return new HostProgress(m);
    }

    static HostProgress read(DelegateExecution execution) {
        return new HostProgress(RunVariables.of(execution).json(VARIABLE,
                new TypeReference<LinkedHashMap<String, String>>() {
                }, new LinkedHashMap<>()));
    }

    HostProgress set(String host, String state) {
        states.put(host, state);
        return this;
    }

    String get(String host) {
        return states.get(host);
    }

    void write(DelegateExecution execution) {
        RunVariables.of(execution.getProcessInstance()).setJson(VARIABLE, states);
    }

    /** "web-1=done, web-2=FAILED: ..., web-3=pending" for incident messages. */
    String describe() {
        return states.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
