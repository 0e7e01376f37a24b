package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_TerraformPlan: plans (action destroy: a destroy plan) and records the evidence for the approver:
 * {@code tfHasChanges}, {@code tfAdd}/{@code tfChange}/{@code tfDestroy}, {@code tfResourceChanges} (one line per
 * resource), {@code tfPlanSummary}, {@code tfPlanId} (the stored plan, {@code <processInstanceId>/<sha256>}), {@code tfPlanSha256}.
 */
@Component("provisionPlan")
public class ProvisionPlanDelegate extends RunbookStep {
    private final ProvisionOperations ops;

    public ProvisionPlanDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        String env = ProvisionVariables.string(execution, "environment");
        boolean destroy = "destroy".equals(execution.getVariable("action"));
        ProvisionOperations.Plan plan = ops.plan(env, execution.getProcessInstanceId(),
                ProvisionVariables.jsonObject(execution, "terraformVars"), destroy, log);
        execution.setVariable("tfHasChanges", plan.hasChanges());
        execution.setVariable("tfAdd", plan.add());
        execution.setVariable("tfChange", plan.change());
        execution.setVariable("tfDestroy", plan.destroy());
        // texts for the approver, cut to what a text variable holds (the whole plan is in the step log and is what
        // the approved SHA-256 covers)
        io.opsflow.platform.runbook.RunVariables v = io.opsflow.platform.runbook.RunVariables.of(execution);
        v.setText("tfResourceChanges", plan.resourceChanges().isEmpty() ? "(none)"
                : String.join("\n", plan.resourceChanges()));
        v.setText("tfPlanSummary", (destroy ? "DESTROY: " : "") + plan.summary());
        execution.setVariable("tfPlanId", plan.planId());
        execution.setVariable("tfPlanSha256", plan.sha256());
    }
}
