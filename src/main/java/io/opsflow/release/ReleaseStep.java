package io.opsflow.release;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.fleet.PerHost;
import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of release-version or deploy-application: reads the run's variables ({@link ReleaseVars}) and drives
 * {@link ReleaseOperations}, passing it the activity's own step log
 * ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class ReleaseStep extends RunbookStep {
    final ReleaseOperations ops;

    ReleaseStep(ReleaseOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected final void run(DelegateExecution execution, StepLog log) {
        run(new ReleaseVars(execution), log);
    }

    abstract void run(ReleaseVars v, StepLog log);

    /** The fleet as it is before the run changes it; recorded in {@code hostsBefore}. */
    FleetState observeBefore(ReleaseVars v, StepLog log) {
        FleetState fleet = ops.observe(v.environment(), v.application(), log);
        v.setVersions(ReleaseVars.HOSTS_BEFORE, fleet.liveVersions());
        return fleet;
    }

    /**
     * The dry run of the code that will act, for the plan: evidence for the approver ({@code what} names it). A
     * check that fails on a host ends the run ({@code RELEASE_NOT_POSSIBLE}, the output kept in {@code checkDiff}):
     * the change would fail the same way.
     */
    static CheckDiff requirePossible(ReleaseVars v, CheckDiff diff, String what) {
        if (!diff.ok()) {
            v.set(ReleaseVars.CHECK_DIFF, ReleaseVars.clip(diff.output()));
            throw v.failure(ReleaseVars.ERR_NOT_POSSIBLE, what + " failed: " + diff.summary());
        }
        return diff;
    }

    /**
     * Every planned instance answers healthy, directly on its port, with the version it is released to; otherwise
     * {@code failedHosts} and {@code HEALTH_CHECK_FAILED} with {@code failure} and each unhealthy instance's detail.
     */
    void requireHealthy(ReleaseVars v, StepLog log, String failure) {
        Map<PlanEntry, String> unhealthy = unhealthy(v, v.plan().entries(), log);
        if (!unhealthy.isEmpty()) {
            v.setJson(ReleaseVars.FAILED_HOSTS, unhealthy.keySet().stream().map(PlanEntry::host).toList());
            throw v.healthFailure(failure + ": " + HealthGateDelegate.describe(unhealthy));
        }
    }

    /**
     * Each entry's planned instance checked for its planned version, all at once (up to the environment's
     * parallelism): the unhealthy ones with their detail, in plan order.
     */
    Map<PlanEntry, String> unhealthy(ReleaseVars v, List<PlanEntry> entries, StepLog log) {
        List<HealthResult> results = PerHost.map(entries, ops.parallelism(v.environment()),
                e -> ops.checkInstance(v.environment(), v.application(), e.host(), e.instance(), e.toVersion(), log));
        Map<PlanEntry, String> unhealthy = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            if (!results.get(i).healthy()) {
                unhealthy.put(entries.get(i), results.get(i).detail());
            }
        }
        return unhealthy;
    }
}
