package io.opsflow.scale;

import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Compensation handler of Task_AddInstances: drains, stops and deregisters every instance this run started
 * ({@code addedPlacements}, also one that never became healthy), so the pool goes back to the previous count.
 * The engine invokes a multi-instance activity's handler once per completed instance; the first invocation undoes
 * everything and records it in {@code undonePlacements}, later ones find nothing left (sequential multi-instance
 * executions share one variable snapshot, so the handler cannot rely on its own {@code placement}).
 */
@Component("scaleUndoAdd")
public class ScaleUndoAddDelegate implements JavaDelegate {
    static final String UNDONE = "undonePlacements";

    private final ScaleOperations ops;
    private final StepLogs logs;

    public ScaleUndoAddDelegate(ScaleOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = ScaleVariables.string(execution, "environment");
        String app = ScaleVariables.string(execution, "application");
        List<String> done = ScaleVariables.stringList(execution, UNDONE);
        try (StepLog log = logs.forExecution(execution)) {
            List<String> todo = ScaleVariables.stringList(execution, ScaleAddInstanceDelegate.ADDED);
            Collections.reverse(todo);
            for (String key : todo) {
                if (done.contains(key)) {
                    continue;
                }
                ops.removeInstance(env, app, Placement.parse(key), log);
                ScaleVariables.appendToRunList(execution, UNDONE, key);
            }
        }
    }
}
