package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_TerraformApply: applies exactly the approved plan (the run's plan stored in the database with SHA-256 {@code approvedPlanSha256},
 * copied from {@code tfPlanSha256} when the approver completed Task_Approve, or when no approval was needed). A
 * missing, changed or stale plan is BpmnError {@value #PLAN_MISMATCH} (the run ends FAILED; plan again).
 */
@Component("provisionApply")
public class ProvisionApplyDelegate extends RunbookStep {
    public static final String PLAN_MISMATCH = "PLAN_MISMATCH";

    private final ProvisionOperations ops;

    public ProvisionApplyDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        String env = ProvisionVariables.string(execution, "environment");
        Object approved = execution.getVariable("approvedPlanSha256");
        try {
            ops.apply(env, execution.getProcessInstanceId(), approved == null ? null : approved.toString(), log);
        } catch (ProvisionOperations.PlanMismatchException e) {
            throw new BpmnError(PLAN_MISMATCH, e.getMessage());
        }
        execution.setVariable("tfApplied", true);
    }
}
