package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_UndrainBatch: returns the batch's hosts to the load balancer, waiting until it sees them healthy. */
@Component("restartUndrainBatch")
public class RestartUndrainBatchDelegate implements JavaDelegate {
    private final RestartOperations ops;
    private final StepLogs logs;

    public RestartUndrainBatchDelegate(RestartOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = (String) execution.getVariable("environment");
        HostProgress progress = HostProgress.read(execution);
        try (StepLog log = logs.forExecution(execution)) {
            for (String host : RestartVariables.batch(execution)) {
                ops.undrainHost(env, host, log);
                progress.set(host, "done");
            }
        }
        progress.write(execution);
    }
}
