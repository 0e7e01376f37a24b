package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.*;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_VerifyRollback (release): after compensation, re-observes the fleet and verifies that every host serves the
 * version it served before, healthy, that blue-green traffic is back on the old colour, and that the load balancer
 * answers only with the previous version(s). Records {@code hostsAfter}. Anything else: ROLLBACK_INCOMPLETE (outcome
 * FAILED, with what is wrong in {@code failureReason}).
 */
@Component("releaseVerifyRollback")
class VerifyRollbackDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyRollbackDelegate.class);

    VerifyRollbackDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        ReleasePlan plan = v.plan();
        FleetState fleet = ops.observe(v.environment(), v.application(), log);
        v.setVersions(HOSTS_AFTER, fleet.liveVersions());
        List<String> problems = new ArrayList<>();
        if (plan.previousColour() != null && !plan.previousColour().equals(fleet.activeColour())) {
            problems.add("load balancer routes to " + fleet.activeColour() + ", expected " + plan.previousColour());
        }
        Set<String> before = new LinkedHashSet<>();
        for (PlanEntry e : plan.entries()) {
            before.add(e.fromVersion());
            Optional<InstanceState> live = fleet.live(e.host());
            if (live.isEmpty()) {
                problems.add(e.host() + ": no live instance");
                continue;
            }
            if (!Objects.equals(live.get().version(), e.fromVersion())) {
                problems.add(e.host() + ": serves " + live.get().version() + ", expected " + e.fromVersion());
                continue;
            }
            HealthResult r = ops.checkInstance(v.environment(), v.application(), e.host(), live.get().instance(),
                    e.fromVersion(), log);
            if (!r.healthy()) {
                problems.add(e.host() + ": " + r.detail());
            }
        }
        HealthResult lb = ops.checkThroughLoadBalancer(v.environment(), v.application(), before, log);
        if (!lb.healthy()) {
            problems.add("load balancer: " + lb.detail());
        }
        if (!problems.isEmpty()) {
            throw v.failure(ERR_ROLLBACK_INCOMPLETE, "rollback incomplete: " + String.join("; ", problems));
        }
        LOG.info("rollback verified: {}", fleet.liveVersions());
    }
}
