package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_DrainBatch: drains every host of {@code batch} in the load balancer (only this batch is ever drained). */
@Component("restartDrainBatch")
public class RestartDrainBatchDelegate implements JavaDelegate {
    private final RestartOperations ops;
    private final StepLogs logs;

    public RestartDrainBatchDelegate(RestartOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = (String) execution.getVariable("environment");
        HostProgress progress = HostProgress.read(execution);
        try (StepLog log = logs.forExecution(execution)) {
            for (String host : RestartVariables.batch(execution)) {
                ops.drainHost(env, host, log);
                progress.set(host, "drained");
            }
        }
        progress.write(execution);
    }
}
