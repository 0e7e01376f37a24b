package io.opsflow.release;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Process variables of the release runbooks are plain JSON strings (Java serialization of variables is off, and a
 * JSON string reads well in Cockpit): the plan, host → version maps, host lists.
 */
public final class ReleaseJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReleaseJson() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    public static ReleasePlan plan(String json) {
        return read(json, new TypeReference<ReleasePlan>() {
        }, "releasePlan");
    }

    public static Map<String, String> versions(String json) {
        return read(json, new TypeReference<java.util.LinkedHashMap<String, String>>() {
        }, "host versions");
    }

    public static List<String> strings(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        return read(json, new TypeReference<List<String>>() {
        }, "host list");
    }

    private static <T> T read(String json, TypeReference<T> type, String what) {
        if (json == null) {
            throw new IllegalStateException("variable with the " + what + " is missing");
        }
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("variable with the " + what + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
