package io.opsflow.step.exec;

/**
 * The step was stopped from outside ({@link StepCancellation}), typically because its job lease was lost: what it ran
 * was killed, and the job must fail so that nothing of this execution is committed. A technical failure, never a
 * {@code BpmnError}.
 */
public class StepCancelledException extends RuntimeException {
    private final String reason;

    public StepCancelledException(String reason, String what) {
        super("Step stopped: " + reason + (what == null || what.isBlank() ? "" : "; " + what));
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
