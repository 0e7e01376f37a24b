package io.opsflow.restart;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The run variable {@code hostProgress}: a JSON object host -> state, e.g.
 * {@code {"web-1":"done","web-2":"FAILED: webapp/blue unhealthy","web-3":"pending"}}. Written only by the sequential
 * batch steps (plan, drain, check, undrain), never by the parallel per-host restarts, so no two jobs update it at
 * once. States: pending, drained, restarting, restarted, done, FAILED: detail.
 */
final class HostProgress {
    static final String VARIABLE = "hostProgress";
    static final ObjectMapper JSON = new ObjectMapper();

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
        Object v = execution.getVariable(VARIABLE);
        if (v == null) {
            return new HostProgress(new LinkedHashMap<>());
        }
        try {
            return new HostProgress(JSON.readValue(v.toString(), new TypeReference<LinkedHashMap<String, String>>() {
            }));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("hostProgress is not the JSON object this runbook wrote", e);
        }
    }

    HostProgress set(String host, String state) {
        states.put(host, state);
        return this;
    }

    String get(String host) {
        return states.get(host);
    }

    void write(DelegateExecution execution) {
        try {
            execution.getProcessInstance().setVariable(VARIABLE, JSON.writeValueAsString(states));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "web-1=done, web-2=FAILED: ..., web-3=pending" for incident messages. */
    String describe() {
        return states.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
