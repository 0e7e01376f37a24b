package io.opsflow.platform.api;

import io.opsflow.step.exec.StepLogs;

/**
 * 404 of the run APIs: no run with this id that the caller may read, or no such thing in the run. The message names
 * ids only when they look like ids; whatever else a caller sent (a path, say) is not echoed.
 */
public class RunNotFoundException extends RuntimeException {
    public RunNotFoundException(String message) {
        super(message);
    }

    public static RunNotFoundException run(String processInstanceId) {
        return new RunNotFoundException("no run " + shown(processInstanceId) + " that you may read");
    }

    /** {@code 'id'} for an id, "with this id" for anything else. */
    static String shown(String id) {
        return StepLogs.isValidId(id) ? "'" + id + "'" : "with this id";
    }
}
