package io.opsflow.platform.runbook;

import java.util.List;

import org.camunda.bpm.engine.impl.form.validator.FormFieldValidationException;

/**
 * Invalid runbook input. Nothing was started or persisted. REST maps it to HTTP 400 with the field messages.
 * <p>
 * It is a {@link FormFieldValidationException} (the engine's own "a form field is invalid") so that Camunda's REST
 * code answers 400 for it even where opsflow's exception mappers are not registered: Tasklist submits start forms
 * through the webapp's internal engine API ({@code /camunda/api/engine/...}), whose {@code submit-form} maps exactly
 * this type to 400 and shows the message in the form.
 */
public class RunbookInputException extends FormFieldValidationException {
    private static final long serialVersionUID = 1L;
    private final String processKey;
    private final List<String> errors;

    public RunbookInputException(String processKey, List<String> errors) {
        super(List.copyOf(errors), "Invalid input for runbook '" + processKey + "': " + String.join("; ", errors));
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
