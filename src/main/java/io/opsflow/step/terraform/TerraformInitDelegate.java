package io.opsflow.step.terraform;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * {@code terraform init} in the run's Terraform root. Outputs: {@code terraformLogPath}, {@code terraformLogTail}, local
 * to the task ({@link StepOutputs}). Failures are technical (retry, then incident).
 */
@Component("terraformInit")
public class TerraformInitDelegate implements JavaDelegate {
    private final TerraformStep step;
    private final TerraformExecutionContext context;
    private final StepLogs logs;

    public TerraformInitDelegate(TerraformStep step, TerraformExecutionContext context, StepLogs logs) {
        this.step = step;
        this.context = context;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try (StepLog log = logs.forExecution(execution)) {
            try {
                step.init(context.root(execution), log);
            } finally {
                context.publishLog(StepOutputs.of(execution), log);
            }
        }
    }
}
