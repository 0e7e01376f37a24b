package io.opsflow.scale;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
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
class ScaleUndoAddDelegate extends ScaleStep {
    static final String UNDONE = "undonePlacements";

    ScaleUndoAddDelegate(ScaleOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, String app, StepLog log) {
        for (String key : todo(execution, ScaleAddInstanceDelegate.ADDED)) {
            ops.removeInstance(env, app, Placement.parse(key), log);
            ScaleVariables.appendToRunList(execution, UNDONE, key);
        }
    }

    /** The placements of {@code runList} not undone yet, last first. */
    static List<String> todo(DelegateExecution execution, String runList) {
        List<String> done = ScaleVariables.stringList(execution, UNDONE);
        List<String> todo = new ArrayList<>(ScaleVariables.stringList(execution, runList));
        Collections.reverse(todo);
        todo.removeIf(done::contains);
        return todo;
    }
}
