package io.opsflow.provision;

import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_TerraformOutputs: {@code tfOutputs} (JSON object string; sensitive outputs masked). */
@Component("provisionOutputs")
public class ProvisionOutputsDelegate implements JavaDelegate {
    private final ProvisionOperations ops;
    private final StepLogs logs;

    public ProvisionOutputsDelegate(ProvisionOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        Map<String, Object> outputs;
        try (StepLog log = logs.forExecution(execution)) {
            outputs = ops.outputs(ProvisionVariables.string(execution, "environment"), log);
        }
        execution.setVariable("tfOutputs", ProvisionVariables.json(new java.util.TreeMap<>(outputs))); // sorted: stable like terraform output -json
    }
}
