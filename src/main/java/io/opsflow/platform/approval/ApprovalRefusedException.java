package io.opsflow.platform.approval;

import java.util.List;

import org.camunda.bpm.engine.impl.form.validator.FormFieldValidationException;

/**
 * An approval completion that would change what was approved: variables other than the approval form's own fields
 * ({@code approved}, {@code comment}), or inputs and evidence that differ from the approval record. Nothing changed.
 * REST answers 400 naming the variables; it is a {@link FormFieldValidationException} so that Camunda's own
 * {@code complete} and {@code submit-form} (also the webapps' internal API used by Tasklist) answer 400 too.
 */
public class ApprovalRefusedException extends FormFieldValidationException {
    private static final long serialVersionUID = 1L;
    private final List<String> variables;

    public ApprovalRefusedException(String message, List<String> variables) {
        super(List.copyOf(variables), message);
        this.variables = List.copyOf(variables);
    }

    public List<String> variables() {
        return variables;
    }
}
