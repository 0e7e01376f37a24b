package io.opsflow.step.ansible;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a playbook run did, parsed from the opsflow_jsonl callback: exit code, per-host stats, failed tasks,
 * unreachable hosts and (with --diff) the changes per host and task.
 */
public record PlaybookResult(int exitCode, Map<String, HostStats> stats, List<TaskFailure> failures,
                             List<TaskFailure> unreachable, List<TaskDiff> diffs, boolean checkMode) {

    public PlaybookResult {
        stats = Map.copyOf(stats);
        failures = List.copyOf(failures);
        unreachable = List.copyOf(unreachable);
        diffs = List.copyOf(diffs);
    }

    /** Hosts with at least one failed task (ignored errors do not count), sorted. */
    public List<String> failedHosts() {
        return stats.entrySet().stream().filter(e -> e.getValue().failed() > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    /** Hosts Ansible could not reach (SSH refused, timed out, authentication or host key failure), sorted. */
    public List<String> unreachableHosts() {
        return stats.entrySet().stream().filter(e -> e.getValue().unreachable() > 0).map(Map.Entry::getKey)
                .sorted().toList();
    }

    /** Whether any host changed (under --check: would change). */
    public boolean changed() {
        return stats.values().stream().anyMatch(s -> s.changed() > 0);
    }

    public boolean succeeded() {
        return exitCode == 0 && failedHosts().isEmpty() && unreachableHosts().isEmpty();
    }

    /**
     * Throws unless every host succeeded: {@link PlaybookFailedException} when a task failed on some host (also when
     * others were unreachable), {@link HostsUnreachableException} when hosts were only unreachable.
     */
    public PlaybookResult requireSuccess() {
        if (!failedHosts().isEmpty()) {
            throw new PlaybookFailedException(this);
        }
        if (!unreachableHosts().isEmpty()) {
            throw new HostsUnreachableException(this);
        }
        return this;
    }

    /**
     * The changes as text for approvers, at most {@code maxChars} characters: one section per host and task.
     * Cut with a note when longer (the whole output is in the step log).
     */
    public String diffText(int maxChars) {
        if (diffs.isEmpty()) {
            return "";
        }
        String all = diffs.stream()
                .map(d -> "=== " + d.host() + " | " + d.task() + "\n" + d.text().stripTrailing() + "\n")
                .collect(Collectors.joining("\n"));
        return cut(all, maxChars);
    }

    /** Stats as compact JSON: {"host":{"ok":1,"changed":0,...}}. */
    public String statsJson() {
        StringBuilder b = new StringBuilder("{");
        String sep = "";
        for (String host : stats.keySet().stream().sorted().toList()) {
            HostStats s = stats.get(host);
            b.append(sep).append(PlaybookOutputParser.jsonString(host)).append(":{\"ok\":").append(s.ok())
                    .append(",\"changed\":").append(s.changed()).append(",\"failed\":").append(s.failed())
                    .append(",\"unreachable\":").append(s.unreachable()).append(",\"skipped\":").append(s.skipped())
                    .append(",\"rescued\":").append(s.rescued()).append(",\"ignored\":").append(s.ignored())
                    .append('}');
            sep = ",";
        }
        return b.append('}').toString();
    }

    /** One line per host, for logs and incident messages. */
    public String summary() {
        return stats.keySet().stream().sorted().map(h -> {
            HostStats s = stats.get(h);
            return h + " ok=" + s.ok() + " changed=" + s.changed() + " failed=" + s.failed() + " unreachable="
                    + s.unreachable() + " skipped=" + s.skipped();
        }).collect(Collectors.joining("; "));
    }

    static String cut(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        String note = "\n[... " + (text.length() - maxChars) + " more characters cut; the whole output is in the step log]";
        int keep = Math.max(0, maxChars - note.length());
        return text.substring(0, keep) + note;
    }
}
