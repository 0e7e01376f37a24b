package io.opsflow.platform.runbook;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.opsflow.platform.environments.Environments;

/**
 * What a runbook declares about its start: its inputs, the named lock it holds while it runs, and cross-field rules.
 * One Spring bean per BPMN process key; the platform enforces it on every start path (REST, Tasklist form, message,
 * timer) before anything is persisted.
 */
public interface RunbookDefinition {

    String processKey();

    List<InputSpec> inputs();

    /** Named lock taken atomically with the start; empty = none. Held until the run ends in any way. */
    default Optional<String> lockName(Map<String, Object> vars) {
        return Optional.empty();
    }

    /** Cross-field rules; add messages "field: rule" to errors. Called only when every single input is valid. */
    default void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
    }
}
