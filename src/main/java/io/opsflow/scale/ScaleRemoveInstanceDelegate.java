package io.opsflow.scale;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_RemoveInstances (one multi-instance per instance to remove, element variable {@code placement}): drain, wait
 * for in-flight requests, stop, deregister. Failures are technical (retry, then incident).
 */
@Component("scaleRemoveInstance")
class ScaleRemoveInstanceDelegate extends ScaleStep {
    /** Run variable: every placement this run removed (compensation starts exactly these again). */
    public static final String REMOVED = "removedPlacements";

    ScaleRemoveInstanceDelegate(ScaleOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, String app, StepLog log) {
        Placement placement = Placement.parse(ScaleVariables.string(execution, "placement"));
        ScaleAddInstanceDelegate.markScaled(execution);
        ScaleVariables.appendToRunList(execution, REMOVED, placement.key());
        ops.removeInstance(env, app, placement, log);
        execution.setVariableLocal("instanceResult", "drained, stopped, deregistered");
    }
}
