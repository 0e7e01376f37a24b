package io.opsflow.scale;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_RemoveInstances (one multi-instance per instance to remove, element variable {@code placement}): drain, wait
 * for in-flight requests, stop, deregister. Failures are technical (retry, then incident).
 */
@Component("scaleRemoveInstance")
public class ScaleRemoveInstanceDelegate implements JavaDelegate {
    /** Run variable: every placement this run removed (compensation starts exactly these again). */
    public static final String REMOVED = "removedPlacements";
    private final ScaleOperations ops;
    private final StepLogs logs;

    public ScaleRemoveInstanceDelegate(ScaleOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = ScaleVariables.string(execution, "environment");
        String app = ScaleVariables.string(execution, "application");
        Placement placement = Placement.parse(ScaleVariables.string(execution, "placement"));
        ScaleAddInstanceDelegate.markScaled(execution);
        ScaleVariables.appendToRunList(execution, REMOVED, placement.key());
        try (StepLog log = logs.forExecution(execution)) {
            ops.removeInstance(env, app, placement, log);
        }
        execution.setVariableLocal("instanceResult", "drained, stopped, deregistered");
    }
}
