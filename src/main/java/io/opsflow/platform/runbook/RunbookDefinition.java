package io.opsflow.platform.runbook;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;

/**
 * What a runbook declares about its start: its inputs, the named lock it holds while it runs, and cross-field rules.
 * One Spring bean per BPMN process key; the platform enforces it on every start path (REST, Tasklist form, message,
 * timer) before anything is persisted.
 */
public interface RunbookDefinition {

    String processKey();

    List<InputSpec> inputs();

    /**
     * Whether the diagram waits for the environment's maintenance window after its approval (the gateways
     * {@code Gateway_MaintenanceWindow} and {@code Gateway_ApprovalFresh} and the timer {@code Timer_MaintenanceWindow}).
     * Such a runbook also takes the optional input {@link MaintenanceInputs#RUN_AT}.
     */
    default boolean waitsForMaintenanceWindow() {
        return false;
    }

    /** Every input a start may pass: {@link #inputs()} plus the platform's own ({@code runAt} when it waits). */
    default List<InputSpec> declaredInputs() {
        if (!waitsForMaintenanceWindow()) {
            return inputs();
        }
        List<InputSpec> all = new java.util.ArrayList<>(inputs());
        all.add(MaintenanceInputs.runAt());
        return List.copyOf(all);
    }

    /** Named lock taken atomically with the start; empty = none. Held until the run ends in any way. */
    default Optional<String> lockName(Map<String, Object> vars) {
        return Optional.empty();
    }

    /**
     * The variables, besides the inputs, that an approver signs off: the plan and the evidence gathered before the
     * approval, which the steps after it act on. Together with the inputs they form the approval document whose
     * SHA-256 every acting step checks (see {@code io.opsflow.platform.approval}). They must not change after the
     * approval; state that changes while the run acts (progress, failed hosts, rollback flags) is not evidence.
     */
    default List<String> evidence() {
        return List.of();
    }

    /**
     * Whether a run with these (validated) inputs needs a second person's approval before it changes anything.
     * Only runbooks whose diagram has an approval task ({@code Task_Approve}) are ever asked. Default: the
     * environment's policy ({@code requires-approval}).
     */
    default boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return environment != null && environment.requiresApproval();
    }

    /** Cross-field rules; add messages "field: rule" to errors. Called only when every single input is valid. */
    default void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
    }

    /**
     * Rules and values that depend on how the run was started, not on anything the caller passes: {@code
     * startActivityId} is the start event the run starts at (a runbook with a form start event and a message start
     * event tells them apart here; for an administrator's start placed elsewhere, the activity it was placed at).
     * {@code passed} holds the variables the caller passed; {@code values} the validated inputs and defaults that
     * will be set, which this may change. Add "field: rule" messages to {@code errors}. Called after
     * {@link #validate}, only when there were no errors.
     */
    default void atStart(String startActivityId, Map<String, Object> passed, Map<String, Object> values,
                         List<String> errors) {
    }

    /**
     * The tools this runbook runs on the opsflow host itself (not on managed hosts): a start on a host without one is
     * refused with 409 naming it and its install line, and actuator health lists them (component {@code tools}).
     */
    default List<io.opsflow.platform.tools.Tool> tools() {
        return List.of();
    }

    /**
     * Inputs this runbook no longer takes, name → what to do instead: a start that passes one is refused (400) with
     * that hint instead of the generic "not an input" message.
     */
    default Map<String, String> retiredInputs() {
        return Map.of();
    }
}
