package io.opsflow.provision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

final class ProvisionVariables {
    static final ObjectMapper JSON = new ObjectMapper();

    private ProvisionVariables() {
    }

    static String string(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        if (v == null) {
            throw new IllegalStateException("variable '" + name + "' is missing in " + execution.getCurrentActivityId());
        }
        return v.toString();
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> jsonObject(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return new LinkedHashMap<>();
        }
        try {
            return JSON.readValue(v.toString(), new TypeReference<LinkedHashMap<String, Object>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(name + " is not the JSON object this runbook wrote", e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> stringList(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        return v == null ? new ArrayList<>() : new ArrayList<>((List<String>) v);
    }
}
