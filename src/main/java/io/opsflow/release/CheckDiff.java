package io.opsflow.release;

import java.util.List;

/**
 * The deploy playbook run with {@code --check --diff} against the hosts of a release: evidence for the approver.
 * {@code ok} is false when the check itself failed on a host (the release would fail the same way);
 * {@code output} is the diff text (already masked), {@code changedHosts} the hosts Ansible reports as changing.
 */
public record CheckDiff(boolean ok, String summary, String output, List<String> changedHosts) {

    public CheckDiff {
        changedHosts = changedHosts == null ? List.of() : List.copyOf(changedHosts);
    }
}
