package io.opsflow.provision;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/** Typed access to the provision-infrastructure variables, on {@link RunVariables}. */
final class ProvisionVariables {
    private ProvisionVariables() {
    }

    static String string(DelegateExecution execution, String name) {
        return RunVariables.of(execution).string(name);
    }

    static String json(Object value) {
        return RunVariables.toJson(value);
    }

    static Map<String, Object> jsonObject(DelegateExecution execution, String name) {
        return RunVariables.of(execution).json(name, new TypeReference<LinkedHashMap<String, Object>>() {
        }, new LinkedHashMap<>());
    }

    static List<String> stringList(DelegateExecution execution, String name) {
        return RunVariables.of(execution).strings(name);
    }
}
