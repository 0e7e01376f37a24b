package io.opsflow.scale;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/** Typed access to the scale-service variables, on {@link RunVariables}: plain types and JSON strings only. */
final class ScaleVariables {
    private ScaleVariables() {
    }

    static String string(DelegateExecution execution, String name) {
        return RunVariables.of(execution).string(name);
    }

    static List<Map<String, Object>> instanceMaps(List<AppInstance> instances) {
        return instances.stream().map(AppInstance::toMap).toList();
    }

    /** The instances before the scale, however {@link RunVariables#setJson} stored them. */
    static List<AppInstance> previousInstances(DelegateExecution execution) {
        return instancesFromJson(RunVariables.of(execution).jsonText("previousInstances"));
    }

    static List<AppInstance> instancesFromJson(String json) {
        List<Map<String, Object>> maps = RunVariables.fromJson(json, new TypeReference<List<Map<String, Object>>>() {
        }, "previousInstances", List.of());
        List<AppInstance> out = new ArrayList<>();
        maps.forEach(m -> out.add(AppInstance.fromMap(m)));
        return out;
    }

    static String json(Object value) {
        return RunVariables.toJson(value);
    }

    /** Appends to a run-level (process instance) list variable unless already there. */
    static void appendToRunList(DelegateExecution execution, String name, String value) {
        List<String> list = stringList(execution, name);
        if (!list.contains(value)) {
            list.add(value);
            execution.getProcessInstance().setVariable(name, new ArrayList<>(list));
        }
    }

    static List<String> stringList(DelegateExecution execution, String name) {
        return RunVariables.of(execution).strings(name);
    }
}
