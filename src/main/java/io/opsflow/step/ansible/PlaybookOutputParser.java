package io.opsflow.step.ansible;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Parses the output of the {@code opsflow_jsonl} callback (ansible/callback_plugins/opsflow_jsonl.py): one JSON
 * object per line with an {@code event} field. Lines that are not such objects are ignored (they stay in the
 * step log). The final {@code stats} event is authoritative for per-host counts.
 */
public final class PlaybookOutputParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlaybookOutputParser() {
    }

    /** The parsed events; {@code stats} is null when the run ended before the recap. */
    public record Parsed(Map<String, HostStats> stats, List<TaskFailure> failures, List<TaskFailure> unreachable,
                         List<TaskDiff> diffs, boolean checkMode, int events) {
    }

    public static Parsed parse(String stdout, int maxDiffChars) {
        Map<String, HostStats> stats = null;
        List<TaskFailure> failures = new ArrayList<>();
        List<TaskFailure> unreachable = new ArrayList<>();
        List<TaskDiff> diffs = new ArrayList<>();
        boolean check = false;
        int events = 0;
        int diffChars = 0;
        for (String line : stdout.split("\n")) {
            JsonNode n = event(line);
            if (n == null) {
                continue;
            }
            events++;
            String host = n.path("host").asText("");
            String task = n.path("task").asText("");
            switch (n.get("event").asText()) {
                case "playbook_start" -> check = n.path("check").asBoolean(false);
                case "failed" -> {
                    if (!n.path("ignored").asBoolean(false)) {
                        failures.add(new TaskFailure(host, task, n.path("msg").asText("")));
                    }
                }
                case "unreachable" -> unreachable.add(new TaskFailure(host, task, n.path("msg").asText("")));
                case "diff", "changed" -> {
                    String text = n.get("event").asText().equals("diff") ? n.path("diff").asText("")
                            : n.path("msg").asText("");
                    if (!text.isBlank() && diffChars < maxDiffChars) {
                        String kept = PlaybookResult.cut(text, maxDiffChars - diffChars);
                        diffChars += kept.length();
                        diffs.add(new TaskDiff(host, task, kept));
                    }
                }
                case "stats" -> stats = stats(n.path("hosts"));
                default -> {
                    // play_start, task_start, ok, skipped, ...: progress only
                }
            }
        }
        return new Parsed(stats, failures, unreachable, diffs, check, events);
    }

    private static Map<String, HostStats> stats(JsonNode hosts) {
        Map<String, HostStats> m = new LinkedHashMap<>();
        hosts.fields().forEachRemaining(e -> {
            JsonNode s = e.getValue();
            m.put(e.getKey(), new HostStats(s.path("ok").asInt(), s.path("changed").asInt(), s.path("failed").asInt(),
                    s.path("unreachable").asInt(), s.path("skipped").asInt(), s.path("rescued").asInt(),
                    s.path("ignored").asInt()));
        });
        return m;
    }

    private static JsonNode event(String line) {
        String l = line.strip();
        if (!l.startsWith("{\"event\"")) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(l);
            return n != null && n.isObject() && n.path("event").isTextual() ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    static String jsonString(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
