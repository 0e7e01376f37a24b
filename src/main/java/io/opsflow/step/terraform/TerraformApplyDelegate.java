package io.opsflow.step.terraform;

import java.nio.file.Path;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * Applies exactly the approved plan: the run's plan stored in the database ({@link TerraformPlans}) whose SHA-256
 * is tfPlanSha256 (written by terraformPlan before the approval), on whichever node runs this step. A missing plan, a different hash or a stale plan is the modelled outcome BpmnError
 * {@value #PLAN_MISMATCH} (with variable tfPlanMismatchReason); anything else is technical.
 * Writes tfApplied=true and tfAlreadyApplied, local to the task ({@link StepOutputs}); tfPlanMismatchReason goes to
 * the execution the error path continues on.
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
        StepOutputs out = StepOutputs.of(execution);
        try (StepLog log = logs.forExecution(execution)) {
            try {
                ApplyResult r = step.applyStored(root, execution.getProcessInstanceId(),
                        sha == null ? null : sha.toString(), log);
                out.set("tfApplied", true).set("tfAlreadyApplied", r.alreadyApplied());
            } catch (PlanMismatchException e) {
                log.line("step", "REFUSED: " + e.getMessage());
                out = StepOutputs.forError(execution).set("tfPlanMismatchReason", e.reason().name());
                throw new BpmnError(PLAN_MISMATCH, e.getMessage());
            } finally {
                context.publishLog(out, log);
            }
        }
    }
}
