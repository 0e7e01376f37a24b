package io.opsflow.database;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.VariableScope;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/**
 * Typed access to the variables of the backup, restore and migration runbooks, on {@link RunVariables}: structured
 * values travel as JSON strings, times as ISO-8601 strings, "now" is the engine clock.
 */
public final class Vars {
    private Vars() {
    }

    public static String str(VariableScope s, String name) {
        return RunVariables.of(s).string(name);
    }

    public static String opt(VariableScope s, String name) {
        return RunVariables.of(s).optional(name);
    }

    public static boolean bool(VariableScope s, String name) {
        return RunVariables.of(s).flag(name);
    }

    public static Instant now() {
        return RunVariables.now();
    }

    public static String json(Object value) {
        return RunVariables.toJson(value);
    }

    public static List<String> stringList(String json) {
        return RunVariables.fromJson(json, new TypeReference<ArrayList<String>>() {
        }, "list of strings", new ArrayList<>());
    }

    public static List<Map<String, Object>> mapList(String json) {
        return RunVariables.fromJson(json, new TypeReference<ArrayList<Map<String, Object>>>() {
        }, "list of objects", new ArrayList<>());
    }

    /** A catalog entry carried by a run as a JSON variable (the run keeps working if retention removes the row). */
    public static String entryJson(BackupEntry e) {
        return json(e);
    }

    public static BackupEntry entry(String json) {
        return RunVariables.fromJson(json, BackupEntry.class, "backup entry");
    }

    public static Map<String, Long> counts(String json) {
        return BackupCatalog.counts(json);
    }

    public static String countsJson(Map<String, Long> counts) {
        return BackupCatalog.json(counts);
    }
}
