package io.opsflow.database;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.VariableScope;
import org.camunda.bpm.engine.impl.util.ClockUtil;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Variable helpers of the backup, restore and migration delegates. Structured values travel as JSON strings (Java
 * serialization of variables is off and Spin is not installed); times as ISO-8601 strings; "now" is the engine
 * clock (so process tests can move it).
 */
public final class Vars {
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private Vars() {
    }

    public static String str(VariableScope s, String name) {
        Object v = s.getVariable(name);
        if (!(v instanceof String str) || str.isBlank()) {
            throw new IllegalStateException("process variable '" + name + "' is missing (got " + v + ")");
        }
        return str;
    }

    public static String opt(VariableScope s, String name) {
        Object v = s.getVariable(name);
        return v instanceof String str && !str.isBlank() ? str : null;
    }

    public static boolean bool(VariableScope s, String name) {
        return Boolean.TRUE.equals(s.getVariable(name));
    }

    public static Instant now() {
        return ClockUtil.getCurrentTime().toInstant();
    }

    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<String> stringList(String json) {
        if (json == null || json.isBlank()) {
            return new ArrayList<>();
        }
        try {
            return JSON.readValue(json, new TypeReference<ArrayList<String>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not a JSON list of strings: " + json, e);
        }
    }

    public static List<Map<String, Object>> mapList(String json) {
        if (json == null || json.isBlank()) {
            return new ArrayList<>();
        }
        try {
            return JSON.readValue(json, new TypeReference<ArrayList<Map<String, Object>>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not a JSON list of objects: " + json, e);
        }
    }

    /** A catalog entry carried by a run as a JSON variable (the run keeps working if retention removes the row). */
    public static String entryJson(BackupEntry e) {
        return json(e);
    }

    public static BackupEntry entry(String json) {
        try {
            return JSON.readValue(json, BackupEntry.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable backup entry variable: " + json, e);
        }
    }

    public static Map<String, Long> counts(String json) {
        return BackupCatalog.counts(json);
    }

    public static String countsJson(Map<String, Long> counts) {
        return BackupCatalog.json(counts);
    }
}
