package io.opsflow.scale;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_AddInstances (one multi-instance per new instance, element variable {@code placement}): starts, health-checks
 * and registers the instance. An instance that stays unhealthy sets {@code scaleAddFailed} (which completes the
 * multi-instance early) and {@code scaleFailure}; the distribution check then fails and compensation restores the
 * previous count. Local output {@code instanceResult} shows each instance's result in Cockpit.
 */
@Component("scaleAddInstance")
class ScaleAddInstanceDelegate extends ScaleStep {
    /** Run variable: every placement this run started (compensation undoes exactly these). */
    public static final String ADDED = "addedPlacements";

    ScaleAddInstanceDelegate(ScaleOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, String app, StepLog log) {
        Placement placement = Placement.parse(ScaleVariables.string(execution, "placement"));
        String version = ScaleVariables.string(execution, "deployedVersion");
        String color = (String) execution.getVariable("instanceColor");
        markScaled(execution);
        ScaleVariables.appendToRunList(execution, ADDED, placement.key());
        ScaleOperations.AddResult r = ops.addInstance(env, app, placement, version, color, log);
        execution.setVariableLocal("instanceResult", r.healthy() ? "healthy, registered" : "unhealthy: " + r.detail());
        if (!r.healthy()) {
            execution.setVariable("scaleAddFailed", true);
            execution.setVariable("scaleFailure", "new instance " + placement.instance() + " on " + placement.host()
                    + " did not become healthy: " + r.detail());
        }
    }

    /** Records when this run first changed the pool: the cooldown counts runs that did. */
    static void markScaled(DelegateExecution execution) {
        if (execution.getVariable(ScaleCooldown.SCALED_AT) == null) {
            execution.getProcessInstance().setVariable(ScaleCooldown.SCALED_AT,
                    ClockUtil.getCurrentTime().toInstant().toString());
        }
    }
}
