package io.opsflow.scale;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of scale-service that drives {@link ScaleOperations}: the run's environment and application, and the
 * activity's own step log ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class ScaleStep implements JavaDelegate {
    final ScaleOperations ops;
    private final StepLogs logs;

    ScaleStep(ScaleOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public final void execute(DelegateExecution execution) {
        String environment = ScaleVariables.string(execution, "environment");
        String application = ScaleVariables.string(execution, "application");
        try (StepLog log = logs.forExecution(execution)) {
            run(execution, environment, application, log);
        }
    }

    abstract void run(DelegateExecution execution, String environment, String application, StepLog log);
}
