package io.opsflow.release;

import java.util.LinkedHashMap;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Task_VerifyIdle (blue-green): every idle instance answers healthy with the new version, directly on its port. */
@Component("releaseVerifyIdle")
public class VerifyIdleDelegate implements JavaDelegate {
    private final ReleaseOperations ops;

    public VerifyIdleDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        Map<PlanEntry, String> unhealthy = new LinkedHashMap<>();
        for (PlanEntry e : v.plan().entries()) {
            HealthResult r = ops.checkInstance(v.environment(), v.application(), e.host(), e.instance(),
                    e.toVersion());
            if (!r.healthy()) {
                unhealthy.put(e, r.detail());
            }
        }
        if (!unhealthy.isEmpty()) {
            v.setJson(ReleaseVars.FAILED_HOSTS, unhealthy.keySet().stream().map(PlanEntry::host).toList());
            throw v.healthFailure("idle colour failed its direct health check: "
                    + HealthGateDelegate.describe(unhealthy));
        }
    }
}
