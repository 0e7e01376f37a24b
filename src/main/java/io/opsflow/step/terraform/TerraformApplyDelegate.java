package io.opsflow.step.terraform;

import java.nio.file.Path;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Applies exactly the approved plan: the run's plan stored in the database ({@link TerraformPlans}) whose SHA-256
 * is tfPlanSha256 (written by terraformPlan before the approval), on whichever node runs this step. A missing plan, a different hash or a stale plan is the modelled outcome BpmnError
 * {@value #PLAN_MISMATCH} (with variable tfPlanMismatchReason); anything else is technical.
 * Writes tfApplied=true and tfAlreadyApplied.
 */
@Component("terraformApply")
public class TerraformApplyDelegate implements JavaDelegate {
    public static final String PLAN_MISMATCH = "PLAN_MISMATCH";

    private final TerraformStep step;
    private final TerraformExecutionContext context;
    private final StepLogs logs;

    public TerraformApplyDelegate(TerraformStep step, TerraformExecutionContext context, StepLogs logs) {
        this.step = step;
        this.context = context;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        Path root = context.root(execution);
        Object sha = execution.getVariable("tfPlanSha256");
        try (StepLog log = logs.forExecution(execution)) {
            try {
                ApplyResult r = step.applyStored(root, execution.getProcessInstanceId(),
                        sha == null ? null : sha.toString(), log);
                execution.setVariable("tfApplied", true);
                execution.setVariable("tfAlreadyApplied", r.alreadyApplied());
            } catch (PlanMismatchException e) {
                log.line("step", "REFUSED: " + e.getMessage());
                execution.setVariable("tfPlanMismatchReason", e.reason().name());
                throw new BpmnError(PLAN_MISMATCH, e.getMessage());
            } finally {
                context.publishLog(execution, log);
            }
        }
    }
}
