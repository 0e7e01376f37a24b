package io.opsflow.restart;

import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLogs;

/**
 * Task_HoldFailedBatch: reached only when the batch check failed. Probes the batch again; still unhealthy →
 * {@link RestartBatchFailedException} listing every host's state (the failed states are already committed in
 * {@code hostProgress} by the check). Camunda retries a few times (a slow service may still come up), then raises the
 * incident; the batch stays drained and later batches are untouched. After the operator fixed the host(s), retrying
 * the job probes again and, when healthy, the run continues with undrain and the next batch.
 */
@Component("restartHoldFailedBatch")
class RestartHoldFailedBatchDelegate extends RestartCheckBatchDelegate {

    RestartHoldFailedBatchDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    protected void onFailure(DelegateExecution execution, String env, List<String> failed, HostProgress progress) {
        boolean emergency = "emergency".equals(execution.getVariable("mode"));
        throw new RestartBatchFailedException("restart-platform " + env + " stopped at "
                + RestartVariables.batchLabel(execution) + ": " + String.join(", ", failed)
                + " not healthy after the restart. Host states: " + progress.describe() + ". "
                + (emergency ? "" : "This batch stays drained and later batches are untouched. ")
                + "Fix the host(s), then retry this job (it probes again).");
    }
}
