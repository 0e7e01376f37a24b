package io.opsflow.step.terraform;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLogs;

/** Like {@code terraformPlan} but always a destroy plan ({@code plan -destroy}); same output variables. */
@Component("terraformDestroyPlan")
public class TerraformDestroyPlanDelegate extends TerraformPlanDelegate {

    public TerraformDestroyPlanDelegate(TerraformStep step, TerraformExecutionContext context, StepLogs logs) {
        super(step, context, logs);
    }

    @Override
    protected boolean destroy(DelegateExecution execution) {
        return true;
    }
}
