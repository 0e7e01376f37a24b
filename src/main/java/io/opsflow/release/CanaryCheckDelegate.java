package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.CANARY_CHECKS;
import static io.opsflow.release.ReleaseVars.CANARY_DONE;
import static io.opsflow.release.ReleaseVars.FAILED_HOSTS;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_CanaryCheck: one of the repeated health checks of the canary batch during its bake period. Any unhealthy
 * canary aborts the release (HEALTH_CHECK_FAILED → compensation: nothing of the new version stays running).
 */
@Component("releaseCanaryCheck")
class CanaryCheckDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(CanaryCheckDelegate.class);

    CanaryCheckDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        int n = v.integer(CANARY_DONE) + 1;
        v.set(CANARY_DONE, n);
        Map<PlanEntry, String> unhealthy = unhealthy(v, v.plan().batch(v.batchIndex()), log);
        if (!unhealthy.isEmpty()) {
            List<String> failed = new ArrayList<>(v.hostList(FAILED_HOSTS));
            unhealthy.keySet().forEach(e -> failed.add(e.host()));
            v.setJson(FAILED_HOSTS, failed);
            throw v.healthFailure("canary aborted at bake check " + n + " of " + v.integer(CANARY_CHECKS) + ": "
                    + HealthGateDelegate.describe(unhealthy));
        }
        LOG.info("canary bake check {} of {}: healthy", n, v.integer(CANARY_CHECKS));
    }
}
