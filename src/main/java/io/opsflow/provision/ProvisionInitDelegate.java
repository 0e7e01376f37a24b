package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_TerraformInit: {@code terraform init} in the environment's root. */
@Component("provisionInit")
public class ProvisionInitDelegate extends RunbookStep {
    private final ProvisionOperations ops;

    public ProvisionInitDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        ops.init(ProvisionVariables.string(execution, "environment"), log);
    }
}
