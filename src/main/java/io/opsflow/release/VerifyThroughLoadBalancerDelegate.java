package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.REVERTED_HOSTS;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Health gate through the load balancer (release: after the last batch or after the blue-green switch; deploy: after
 * registering): requests through the LB are healthy and answered only by the new version (plus the previous version
 * of hosts reverted within the failure budget). Failure → HEALTH_CHECK_FAILED → compensation.
 */
@Component("releaseVerifyThroughLoadBalancer")
class VerifyThroughLoadBalancerDelegate extends ReleaseStep {
    VerifyThroughLoadBalancerDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        ReleasePlan plan = v.plan();
        Set<String> accepted = new LinkedHashSet<>();
        accepted.add(v.version());
        List<String> reverted = v.hostList(REVERTED_HOSTS);
        plan.entries().stream().filter(e -> reverted.contains(e.host())).map(PlanEntry::fromVersion)
                .forEach(accepted::add);
        HealthResult r = ops.checkThroughLoadBalancer(v.environment(), v.application(), accepted, log);
        if (!r.healthy()) {
            throw v.healthFailure("health check through the load balancer failed (expected " + accepted + "): "
                    + r.detail());
        }
    }
}
