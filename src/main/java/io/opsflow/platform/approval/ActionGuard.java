package io.opsflow.platform.approval;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ProcessDefinitionImpl;

/**
 * Runs before every service, send and script task of a runbook that has an approval task, unless the task is marked
 * {@code opsflow.approval = not-required} in the diagram (steps that gather evidence, remind or clean up before the
 * decision). In a run that needs an approval it lets the step act only when the run's latest approval record is
 * positive, was decided by someone other than the initiator, and its document hash equals the document computed from
 * the variables the step is about to act on. Otherwise the step does nothing and fails at once with an incident
 * saying why ({@link ApprovalMissingException}, not retried).
 * <p>
 * It does not care how the token got here: a start past the approval, a modification, a migration to another
 * version, a message, a forged variable all meet the same check.
 */
public class ActionGuard implements ExecutionListener {
    private final Supplier<Approvals> approvals;

    public ActionGuard(Supplier<Approvals> approvals) {
        this.approvals = approvals;
    }

    @Override
    public void notify(DelegateExecution execution) {
        ExecutionEntity ex = (ExecutionEntity) execution;
        ProcessDefinitionImpl process = ex.getProcessDefinition();
        if (process.findActivity(Approvals.APPROVAL_TASK_ID) == null) {
            return;
        }
        Approvals rules = approvals.get();
        String pi = execution.getProcessInstanceId();
        Map<String, Object> vars = execution.getVariables();
        ApprovalRecords.Run run = rules.records().run(pi).orElse(null);
        boolean required = run == null || run.approvalRequired() || rules.requiresApproval(process, vars);
        String step = "'" + execution.getCurrentActivityId() + "'";
        if (!required) {
            checkWindowPassed(rules, process, run, vars, pi, step, null);
            return;
        }
        ApprovalRecords.Approval approval = rules.records().latestApproval(pi).orElse(null);
        if (approval == null) {
            refuse(rules, pi, step, "this run needs a second person's approval and has no approval record"
                    + (run == null ? " (and no start record: it was not started through a start event)" : "")
                    + ". Start a new run; it will ask for approval.");
        }
        if (!approval.approved()) {
            refuse(rules, pi, step, "the run's approval is " + approval.decision()
                    + (approval.decidedBy() != null ? " (by " + approval.decidedBy() + ")" : "") + ", not approved.");
        }
        String initiator = run != null ? run.initiator() : approval.initiator();
        if (approval.decidedBy() == null || Objects.equals(approval.decidedBy(), initiator)
                || Objects.equals(approval.decidedBy(), approval.initiator())) {
            refuse(rules, pi, step, "the approval was not decided by a second person (initiator " + initiator
                    + ", decided by " + approval.decidedBy() + ").");
        }
        ApprovalDocument approved = ApprovalDocument.parse(approval.document());
        ApprovalDocument now = ApprovalDocument.of(approved.names(), vars);
        if (!now.sha256().equals(approval.sha256())) {
            List<String> changed = approved.differences(now);
            refuse(rules, pi, step, "what it would act on differs from what " + approval.decidedBy()
                    + " approved (evidence SHA-256 " + approval.sha256().substring(0, 12) + "…): "
                    + String.join(", ", changed) + " changed since the approval.");
        }
        checkWindowPassed(rules, process, run, vars, pi, step, approval);
    }

    /**
     * In an environment with maintenance windows, a runbook that draws the window gate acts only after the run passed
     * it (inside a window, on the approval it acts on): a run moved past the gate acts in no window.
     */
    private static void checkWindowPassed(Approvals rules, ProcessDefinitionImpl process, ApprovalRecords.Run run,
                                          Map<String, Object> vars, String pi, String step,
                                          ApprovalRecords.Approval approval) {
        if (process.findActivity(MaintenanceWindowGate.GATEWAY_ID) == null) {
            return;
        }
        String env = run != null && run.environment() != null ? run.environment()
                : vars.get("environment") instanceof String e ? e : null;
        if (!rules.environments().maintenance(env).hasWindows()) {
            return;
        }
        ApprovalRecords.WindowPass pass = rules.records().windowPass(pi).orElse(null);
        if (pass == null) {
            refuse(rules, pi, step, "environment " + env + " has maintenance windows and this run has not passed its "
                    + "window gate (" + MaintenanceWindowGate.GATEWAY_ID + ").");
        }
        if (approval != null && !approval.taskId().equals(pass.approvalTaskId())) {
            refuse(rules, pi, step, "the run passed its maintenance window gate on another approval than the one it "
                    + "would act on.");
        }
    }

    private static void refuse(Approvals rules, String pi, String step, String why) {
        String message = "Refused to run step " + step + ": " + why + " Nothing was changed by this step.";
        rules.refuse(pi, "action", message);
        throw new ApprovalMissingException(message);
    }
}
