package io.opsflow.step.ansible;

import java.util.stream.Collectors;

/**
 * A task failed on one or more hosts: a modelled outcome (the delegate turns it into BpmnError PLAYBOOK_FAILED).
 */
public class PlaybookFailedException extends RuntimeException {
    private final transient PlaybookResult result;

    public PlaybookFailedException(PlaybookResult result) {
        super(message(result));
        this.result = result;
    }

    public PlaybookResult result() {
        return result;
    }

    static String message(PlaybookResult r) {
        String failures = r.failures().stream().map(TaskFailure::toString).limit(10)
                .collect(Collectors.joining("; "));
        String msg = "Playbook failed on " + String.join(", ", r.failedHosts()) + ": " + failures;
        if (!r.unreachableHosts().isEmpty()) {
            msg += "; unreachable: " + String.join(", ", r.unreachableHosts());
        }
        return PlaybookResult.cut(msg, 3000);
    }
}
