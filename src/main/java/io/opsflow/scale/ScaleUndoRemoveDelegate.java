package io.opsflow.scale;

import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Compensation handler of Task_RemoveInstances: starts every instance this run removed ({@code removedPlacements})
 * again with the deployed version and registers it (once, however often the engine invokes the handler; see
 * {@link ScaleUndoAddDelegate}). An instance that does not come back healthy cannot be restored by the run itself:
 * that is an incident (technical exception) naming the instance, retried after the operator fixed the host.
 */
@Component("scaleUndoRemove")
public class ScaleUndoRemoveDelegate implements JavaDelegate {
    private final ScaleOperations ops;
    private final StepLogs logs;

    public ScaleUndoRemoveDelegate(ScaleOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = ScaleVariables.string(execution, "environment");
        String app = ScaleVariables.string(execution, "application");
        String version = ScaleVariables.string(execution, "deployedVersion");
        String color = (String) execution.getVariable("instanceColor");
        List<String> done = ScaleVariables.stringList(execution, ScaleUndoAddDelegate.UNDONE);
        try (StepLog log = logs.forExecution(execution)) {
            List<String> todo = ScaleVariables.stringList(execution, ScaleRemoveInstanceDelegate.REMOVED);
            Collections.reverse(todo);
            for (String key : todo) {
                if (done.contains(key)) {
                    continue;
                }
                Placement placement = Placement.parse(key);
                ScaleOperations.AddResult r = ops.addInstance(env, app, placement, version, color, log);
                if (!r.healthy()) {
                    throw new IllegalStateException("compensation could not bring back " + placement.instance()
                            + " on " + placement.host() + " (" + app + " " + version + " in " + env + "): "
                            + r.detail() + ". Fix the host, then retry this job.");
                }
                ScaleVariables.appendToRunList(execution, ScaleUndoAddDelegate.UNDONE, key);
            }
        }
    }
}
