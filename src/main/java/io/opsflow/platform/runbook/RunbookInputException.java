package io.opsflow.platform.runbook;

import java.util.List;

import org.camunda.bpm.engine.BadUserRequestException;

/** Invalid runbook input. Nothing was started or persisted. REST maps it to HTTP 400. */
public class RunbookInputException extends BadUserRequestException {
    private final String processKey;
    private final List<String> errors;

    public RunbookInputException(String processKey, List<String> errors) {
        super("Invalid input for runbook '" + processKey + "': " + String.join("; ", errors));
        this.processKey = processKey;
        this.errors = List.copyOf(errors);
    }

    public String processKey() {
        return processKey;
    }

    public List<String> errors() {
        return errors;
    }
}
