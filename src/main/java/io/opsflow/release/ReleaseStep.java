package io.opsflow.release;

import java.util.LinkedHashMap;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of release-version or deploy-application: reads the run's variables ({@link ReleaseVars}) and drives
 * {@link ReleaseOperations}, passing it the activity's own step log
 * ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class ReleaseStep implements JavaDelegate {
    final ReleaseOperations ops;
    private final StepLogs logs;

    ReleaseStep(ReleaseOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public final void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        try (StepLog log = logs.forExecution(execution)) {
            run(v, log);
        }
    }

    abstract void run(ReleaseVars v, StepLog log);

    /** The fleet as it is before the run changes it; recorded in {@code hostsBefore}. */
    FleetState observeBefore(ReleaseVars v, StepLog log) {
        FleetState fleet = ops.observe(v.environment(), v.application(), log);
        v.setVersions(ReleaseVars.HOSTS_BEFORE, fleet.liveVersions());
        return fleet;
    }

    /**
     * The deploy playbook in check mode for the plan: evidence for the approver. A check that fails on a host ends
     * the run ({@code RELEASE_NOT_POSSIBLE}, the output kept in {@code checkDiff}): the release would fail the same
     * way.
     */
    CheckDiff checkDiff(ReleaseVars v, ReleasePlan plan, StepLog log) {
        CheckDiff diff = ops.checkDiff(v.environment(), v.application(), v.version(), plan.entries(), log);
        if (!diff.ok()) {
            v.set(ReleaseVars.CHECK_DIFF, ReleaseVars.clip(diff.output()));
            throw v.failure(ReleaseVars.ERR_NOT_POSSIBLE, "ansible-playbook --check --diff of the deploy playbook "
                    + "failed: " + diff.summary());
        }
        return diff;
    }

    /**
     * Every planned instance answers healthy, directly on its port, with the version it is released to; otherwise
     * {@code failedHosts} and {@code HEALTH_CHECK_FAILED} with {@code failure} and each unhealthy instance's detail.
     */
    void requireHealthy(ReleaseVars v, StepLog log, String failure) {
        Map<PlanEntry, String> unhealthy = new LinkedHashMap<>();
        for (PlanEntry e : v.plan().entries()) {
            HealthResult r = ops.checkInstance(v.environment(), v.application(), e.host(), e.instance(),
                    e.toVersion(), log);
            if (!r.healthy()) {
                unhealthy.put(e, r.detail());
            }
        }
        if (!unhealthy.isEmpty()) {
            v.setJson(ReleaseVars.FAILED_HOSTS, unhealthy.keySet().stream().map(PlanEntry::host).toList());
            throw v.healthFailure(failure + ": " + HealthGateDelegate.describe(unhealthy));
        }
    }
}
