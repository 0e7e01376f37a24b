package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.ACTIVE_COLOUR_BEFORE;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_DeployIdle (blue-green): pins the load balancer to the serving colour (when it routed to any colour), then
 * activates the new version on the idle colour's instance of every host and registers it as a backend of the idle
 * colour: it gets no traffic until the switch. Compensated by {@link RestoreIdleDelegate}.
 */
@Component("releaseDeployIdle")
class DeployIdleDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(DeployIdleDelegate.class);

    DeployIdleDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        ReleasePlan plan = v.plan();
        if (v.execution().getVariable(ACTIVE_COLOUR_BEFORE) == null) {
            ops.switchColour(v.environment(), v.application(), plan.previousColour(), log);
            LOG.info("pinned the load balancer to {} before deploying to {}", plan.previousColour(),
                    plan.targetColour());
        }
        for (PlanEntry e : plan.entries()) {
            Activation a = ops.activate(v.environment(), v.application(), e.host(), e.instance(), e.toVersion(), log);
            ops.registerBackend(v.environment(), v.application(), e.host(), e.instance(), plan.targetColour(), log);
            LOG.info("idle {}/{}: {} -> {} (healthy: {})", e.host(), e.instance(), a.previousVersion(), a.version(),
                    a.healthy());
        }
    }
}
