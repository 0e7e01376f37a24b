package io.opsflow.platform.runbook;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.camunda.bpm.engine.delegate.VariableScope;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.spin.DataFormats;
import org.camunda.spin.json.SpinJsonNode;
import org.camunda.spin.plugin.variable.SpinValues;
import org.camunda.spin.impl.json.jackson.format.JacksonJsonDataFormat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one way runbook code reads and writes process variables; each runbook's typed accessor (ReleaseVars,
 * ScaleVariables, …) is built on it. Values are plain types (String, Integer, Long, Boolean) or JSON strings: a JSON
 * string reads well in Cockpit and over REST, and Java serialization of variables is off. Lists and documents are
 * encoded once, here, with the JSON data format of Camunda Spin (the engine plugin's Jackson mapper, configured by
 * {@link SpinJsonConfigurator}: java.time as ISO-8601). "Now" is the engine clock, so process tests can move it.
 */
public final class RunVariables {
    /** Longest text put into a String variable (databases limit a string variable to 4000 characters). */
    public static final int MAX_TEXT = 3800;

    private final VariableScope scope;

    private RunVariables(VariableScope scope) {
        this.scope = scope;
    }

    public static RunVariables of(VariableScope scope) {
        return new RunVariables(scope);
    }

    public VariableScope scope() {
        return scope;
    }

    /** A string that must be there and not be blank. */
    public String string(String name) {
        Object v = scope.getVariable(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalStateException("process variable '" + name + "' is missing (got " + v + ")");
        }
        return s;
    }

    /** A string, or null when it is absent or blank. */
    public String optional(String name) {
        Object v = scope.getVariable(name);
        return v instanceof String s && !s.isBlank() ? s : null;
    }

    public int integer(String name) {
        Object v = scope.getVariable(name);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("process variable '" + name + "' must be a number (got " + v + ")");
        }
        return n.intValue();
    }

    /** True only when the variable is Boolean.TRUE. */
    public boolean flag(String name) {
        return Boolean.TRUE.equals(scope.getVariable(name));
    }

    /** A list of strings held as a JSON array or as a collection (a multi-instance element); empty when absent. */
    public List<String> strings(String name) {
        Object v = scope.getVariable(name);
        if (v instanceof Collection<?> c) {
            List<String> out = new ArrayList<>();
            c.forEach(o -> out.add(String.valueOf(o)));
            return out;
        }
        return fromJson(jsonText(v), new TypeReference<ArrayList<String>>() {
        }, name, new ArrayList<>());
    }

    /** The JSON text of a document variable, whichever way {@link #setJson} stored it; null when absent. */
    public String jsonText(String name) {
        return jsonText(scope.getVariable(name));
    }

    private static String jsonText(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof SpinJsonNode node) {
            return node.toString();
        }
        throw new IllegalStateException("not a JSON document variable: " + v.getClass().getSimpleName());
    }

    /** A JSON document this runbook wrote; {@code empty} when the variable is absent or blank. */
    public <T> T json(String name, TypeReference<T> type, T empty) {
        return fromJson(jsonText(scope.getVariable(name)), type, name, empty);
    }

    /** A JSON document this runbook wrote; it must be there. */
    public <T> T json(String name, TypeReference<T> type) {
        T value = json(name, type, null);
        if (value == null) {
            throw new IllegalStateException("process variable '" + name + "' is missing");
        }
        return value;
    }

    public void set(String name, Object plainValue) {
        scope.setVariable(name, plainValue);
    }

    /**
     * A document as a String variable while it fits the databases' 4,000-character text column ({@link #MAX_TEXT});
     * larger (a plan over a hundred hosts) as a Spin JSON variable, which the engine keeps in its byte-array table.
     * Read it back with {@link #json}, {@link #strings} or {@link #jsonText}: they accept both.
     */
    public void setJson(String name, Object value) {
        String json = toJson(value);
        scope.setVariable(name, json.length() <= MAX_TEXT ? json : SpinValues.jsonValue(json).create());
    }

    /** Sets a text variable, cut to {@link #MAX_TEXT} (the whole text is in the step log). */
    public void setText(String name, String text) {
        scope.setVariable(name, clip(text));
    }

    // ------------------------------------------------------------------------------------------------ encoding

    public static String toJson(Object value) {
        try {
            return mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    public static <T> T fromJson(String json, TypeReference<T> type, String what, T empty) {
        if (json == null || json.isBlank()) {
            return empty;
        }
        try {
            return mapper().readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("process variable '" + what + "' is not the JSON this runbook wrote: "
                    + e.getOriginalMessage(), e);
        }
    }

    public static <T> T fromJson(String json, Class<T> type, String what) {
        if (json == null || json.isBlank()) {
            throw new IllegalStateException("process variable '" + what + "' is missing");
        }
        try {
            return mapper().readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("process variable '" + what + "' is not the JSON this runbook wrote: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** The engine clock. */
    public static Instant now() {
        return ClockUtil.getCurrentTime().toInstant();
    }

    /** A text cut to {@link #MAX_TEXT} characters with a note saying how much is only in the step log. */
    public static String clip(String s) {
        if (s == null || s.length() <= MAX_TEXT) {
            return s;
        }
        return s.substring(0, MAX_TEXT - 80) + "\n… (" + (s.length() - MAX_TEXT + 80)
                + " more characters in the step log)";
    }

    private static ObjectMapper mapper() {
        return ((JacksonJsonDataFormat) DataFormats.json()).getObjectMapper();
    }
}
