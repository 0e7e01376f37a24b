package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.fleet.PerHost;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_HealthGate after each batch (rolling, canary): checks every instance of the batch directly. Healthy ones are
 * put back into rotation. Unhealthy ones count against the failure budget ({@code maxFailurePercent} of all hosts of
 * the release): within it, the host is reverted to its previous version right away, recorded in {@code failedHosts}
 * and {@code revertedHosts}, and the release continues; beyond it (or any failure in a canary batch) the gate throws
 * HEALTH_CHECK_FAILED, which compensates the batch and then the completed ones.
 */
@Component("releaseHealthGate")
class HealthGateDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(HealthGateDelegate.class);

    HealthGateDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        int batch = v.batchIndex();
        ReleasePlan plan = v.plan();
        boolean canaryBatch = ReleasePlan.CANARY.equals(plan.strategy()) && batch == 0;
        Map<PlanEntry, String> unhealthy = new LinkedHashMap<>();
        List<PlanEntry> entries = plan.batch(batch);
        int parallelism = ops.parallelism(v.environment());
        // every host of the batch checked at once; a healthy one takes traffic again as soon as it answers
        List<HealthResult> results = PerHost.map(entries, parallelism, e -> {
            HealthResult r = ops.checkInstance(v.environment(), v.application(), e.host(), e.instance(),
                    e.toVersion(), log);
            if (r.healthy()) {
                ops.undrain(v.environment(), v.application(), e.host(), e.instance(), log);
            }
            return r;
        });
        for (int i = 0; i < entries.size(); i++) {
            if (!results.get(i).healthy()) {
                unhealthy.put(entries.get(i), results.get(i).detail());
            }
        }
        if (unhealthy.isEmpty()) {
            LOG.info("health gate batch {}: all healthy", batch + 1);
            return;
        }
        List<String> failed = new ArrayList<>(v.hostList(FAILED_HOSTS));
        unhealthy.keySet().forEach(e -> failed.add(e.host()));
        v.setJson(FAILED_HOSTS, failed);
        int budget = v.integer(FAILURE_BUDGET);
        String details = describe(unhealthy);
        if (canaryBatch || failed.size() > budget) {
            throw v.healthFailure("health gate of " + (canaryBatch ? "the canary batch" : "batch " + (batch + 1))
                    + " failed: " + details + (canaryBatch ? "" : " (" + failed.size() + " host(s) failed, budget "
                    + budget + " of " + plan.entries().size() + ")"));
        }
        PerHost.forEach(List.copyOf(unhealthy.keySet()), parallelism, e -> {
            ops.restore(v.environment(), v.application(), e.host(), e.instance(), e.instancePreviousVersion(), log);
            ops.undrain(v.environment(), v.application(), e.host(), e.instance(), log);
        });
        for (PlanEntry e : unhealthy.keySet()) {
            v.appendHost(REVERTED_HOSTS, e.host());
            LOG.warn("health gate batch {}: {} unhealthy, within the failure budget ({} of {}): reverted to {} and "
                    + "continuing", batch + 1, e.host(), failed.size(), budget, e.instancePreviousVersion());
        }
    }

    static String describe(Map<PlanEntry, String> unhealthy) {
        StringBuilder s = new StringBuilder();
        unhealthy.forEach((e, d) -> s.append(s.length() == 0 ? "" : "; ").append(e.host()).append('/')
                .append(e.instance()).append(": ").append(d));
        return s.toString();
    }
}
