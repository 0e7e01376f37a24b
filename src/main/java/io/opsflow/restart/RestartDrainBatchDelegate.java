package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_DrainBatch: drains every host of {@code batch} in the load balancer (only this batch is ever drained). */
@Component("restartDrainBatch")
class RestartDrainBatchDelegate extends RestartStep {
    RestartDrainBatchDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String environment, StepLog log) {
        eachHostOfBatch(execution, environment, host -> ops.drainHost(environment, host, log), "drained");
    }
}
