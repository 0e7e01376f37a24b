package io.opsflow.scale;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reading and writing the scale-service variables: plain types and JSON strings only. */
final class ScaleVariables {
    static final ObjectMapper JSON = new ObjectMapper();

    private ScaleVariables() {
    }

    static String string(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        if (v == null) {
            throw new IllegalStateException("variable '" + name + "' is missing in " + execution.getCurrentActivityId());
        }
        return v.toString();
    }

    static String instancesJson(List<AppInstance> instances) {
        try {
            return JSON.writeValueAsString(instances.stream().map(AppInstance::toMap).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<AppInstance> instancesFromJson(String json) {
        try {
            List<Map<String, Object>> maps = JSON.readValue(json, new TypeReference<>() {
            });
            List<AppInstance> out = new ArrayList<>();
            maps.forEach(m -> out.add(AppInstance.fromMap(m)));
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("previousInstances is not the JSON list this runbook wrote: " + e.getMessage(), e);
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Appends to a run-level (process instance) list variable unless already there. */
    static void appendToRunList(DelegateExecution execution, String name, String value) {
        List<String> list = stringList(execution, name);
        if (!list.contains(value)) {
            list.add(value);
            execution.getProcessInstance().setVariable(name, new ArrayList<>(list));
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> stringList(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        if (v == null) {
            return new ArrayList<>();
        }
        return new ArrayList<>((List<String>) v);
    }
}
