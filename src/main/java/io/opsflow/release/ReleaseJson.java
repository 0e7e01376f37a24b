package io.opsflow.release;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/**
 * The JSON documents of the release runbooks (the plan, host → version maps, host lists), encoded by
 * {@link RunVariables} like every runbook's.
 */
public final class ReleaseJson {
    private ReleaseJson() {
    }

    public static String write(Object value) {
        return RunVariables.toJson(value);
    }

    public static ReleasePlan plan(String json) {
        return RunVariables.fromJson(json, ReleasePlan.class, ReleaseVars.PLAN);
    }

    public static Map<String, String> versions(String json) {
        return RunVariables.fromJson(json, new TypeReference<LinkedHashMap<String, String>>() {
        }, "host versions", new LinkedHashMap<>());
    }

    public static List<String> strings(String json) {
        return RunVariables.fromJson(json, new TypeReference<List<String>>() {
        }, "host list", List.of());
    }
}
