package io.opsflow.step.ansible;

/**
 * What a task changed or (under --check) would change on one host: a unified diff, or the message of a task that
 * reports a change without a diff (e.g. "would install webapp-1.1.0.tar.gz into ...").
 */
public record TaskDiff(String host, String task, String text) {
}
