package io.opsflow.scale;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of scale-service that drives {@link ScaleOperations}: the run's environment and application, and the
 * activity's own step log ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class ScaleStep extends RunbookStep {
    final ScaleOperations ops;

    ScaleStep(ScaleOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected final void run(DelegateExecution execution, StepLog log) {
        run(execution, ScaleVariables.string(execution, "environment"),
                ScaleVariables.string(execution, "application"), log);
    }

    abstract void run(DelegateExecution execution, String environment, String application, StepLog log);
}
