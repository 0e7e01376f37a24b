package io.opsflow.step.terraform;

import java.nio.file.Path;

/**
 * Apply refused: the plan to apply is not the plan that was approved. A modelled outcome (BpmnError
 * {@code PLAN_MISMATCH}): re-plan and approve again; retrying cannot help.
 */
public class PlanMismatchException extends RuntimeException {

    public enum Reason {
        /** The plan file is gone. */
        MISSING,
        /** The plan file's SHA-256 differs from the approved one (changed or replaced after planning). */
        HASH_DIFFERS,
        /** No approved hash was given. */
        NO_APPROVED_HASH,
        /** Terraform: the state changed since the plan was made ("Saved plan is stale"). */
        STALE
    }

    private final Reason reason;
    private final Path planFile;

    public PlanMismatchException(Reason reason, Path planFile, String message) {
        super(message);
        this.reason = reason;
        this.planFile = planFile;
    }

    public Reason reason() {
        return reason;
    }

    public Path planFile() {
        return planFile;
    }
}
