package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_UndrainBatch: returns the batch's hosts to the load balancer, waiting until it sees them healthy. */
@Component("restartUndrainBatch")
class RestartUndrainBatchDelegate extends RestartStep {
    RestartUndrainBatchDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String environment, StepLog log) {
        eachHostOfBatch(execution, environment, host -> ops.undrainHost(environment, host, log), "done");
    }
}
