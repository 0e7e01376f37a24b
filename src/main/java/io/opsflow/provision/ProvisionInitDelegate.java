package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_TerraformInit: {@code terraform init} in the environment's root. */
@Component("provisionInit")
public class ProvisionInitDelegate implements JavaDelegate {
    private final ProvisionOperations ops;
    private final StepLogs logs;

    public ProvisionInitDelegate(ProvisionOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try (StepLog log = logs.forExecution(execution)) {
            ops.init(ProvisionVariables.string(execution, "environment"), log);
        }
    }
}
