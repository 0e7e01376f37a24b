package io.opsflow.provision;

import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_TerraformOutputs: {@code tfOutputs} (JSON object string; sensitive outputs masked). */
@Component("provisionOutputs")
public class ProvisionOutputsDelegate extends RunbookStep {
    private final ProvisionOperations ops;

    public ProvisionOutputsDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        Map<String, Object> outputs = ops.outputs(ProvisionVariables.string(execution, "environment"), log);
        execution.setVariable("tfOutputs", ProvisionVariables.json(new java.util.TreeMap<>(outputs))); // sorted: stable like terraform output -json
    }
}
