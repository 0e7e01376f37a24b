package io.opsflow.scale;

import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
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
class ScaleUndoRemoveDelegate extends ScaleStep {
    ScaleUndoRemoveDelegate(ScaleOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, String app, StepLog log) {
        String version = ScaleVariables.string(execution, "deployedVersion");
        String color = (String) execution.getVariable("instanceColor");
        for (String key : ScaleUndoAddDelegate.todo(execution, ScaleRemoveInstanceDelegate.REMOVED)) {
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
