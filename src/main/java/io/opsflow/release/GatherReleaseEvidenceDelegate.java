package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.*;

import java.time.Duration;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Task_GatherEvidence of release-version: observes which version runs on which host, plans the batches, runs the
 * deploy playbook with {@code --check --diff}, and puts it all into variables the approval form shows. Nothing on the
 * hosts changes here. Refuses (RELEASE_NOT_POSSIBLE) when the application is not deployed or the check fails.
 */
@Component("releaseGatherEvidence")
public class GatherReleaseEvidenceDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(GatherReleaseEvidenceDelegate.class);
    private final ReleaseOperations ops;

    public GatherReleaseEvidenceDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        String env = v.environment();
        String app = v.application();
        FleetState fleet = ops.observe(env, app);
        v.setVersions(HOSTS_BEFORE, fleet.liveVersions());
        v.set(ACTIVE_COLOUR_BEFORE, fleet.activeColour());

        List<String> liveHosts = fleet.hosts().stream().filter(h -> fleet.live(h).isPresent()).toList();
        ReleasePlan plan;
        try {
            List<List<String>> batches = ops.planBatches(liveHosts, v.integer(BATCH_SIZE));
            plan = ReleasePlan.forRelease(fleet, app, v.strategy(), v.version(), batches);
        } catch (ReleaseNotPossibleException e) {
            throw v.failure(ERR_NOT_POSSIBLE, e.getMessage());
        }
        int budget = plan.entries().size() * v.integer(MAX_FAILURE_PERCENT) / 100;

        CheckDiff diff = ops.checkDiff(env, app, v.version(), plan.entries());
        if (!diff.ok()) {
            v.set(CHECK_DIFF, ReleaseVars.clip(diff.output()));
            throw v.failure(ERR_NOT_POSSIBLE, "ansible-playbook --check --diff of the deploy playbook failed: "
                    + diff.summary());
        }

        v.setJson(PLAN, plan);
        v.setJson(BATCHES, plan.batchHosts());
        v.set(BATCH_COUNT, plan.batchCount());
        v.set(PREVIOUS_COLOUR, plan.previousColour());
        v.set(TARGET_COLOUR, plan.targetColour());
        v.set(FAILURE_BUDGET, budget);
        v.setJson(FAILED_HOSTS, List.of());
        v.setJson(REVERTED_HOSTS, List.of());
        v.setJson(RESTORED_HOSTS, List.of());
        v.set(ROLLBACK_REQUIRED, false);
        v.set(CANARY_DONE, 0);
        v.set(CANARY_INTERVAL, canaryInterval(v).toString());

        StringBuilder evidence = new StringBuilder(plan.describe(env, app));
        if (!ReleasePlan.BLUE_GREEN.equals(plan.strategy())) {
            evidence.append("failure budget: ").append(budget).append(" of ").append(plan.entries().size())
                    .append(" host(s) (maxFailurePercent ").append(v.integer(MAX_FAILURE_PERCENT)).append(")\n");
        }
        if (ReleasePlan.CANARY.equals(plan.strategy())) {
            evidence.append("canary bake: ").append(v.string(CANARY_BAKE)).append(", ")
                    .append(v.integer(CANARY_CHECKS)).append(" health check(s)\n");
        }
        evidence.append("ansible --check --diff: ").append(diff.summary());
        v.set(EVIDENCE, ReleaseVars.clip(evidence.toString()));
        v.set(CHECK_DIFF, ReleaseVars.clip(diff.output()));
        LOG.info("release {} {} to {}: planned {} host(s) in {} batch(es)", app, v.version(), env,
                plan.entries().size(), plan.batchCount());
    }

    /** Time between the canary's health checks: the bake period spread over the checks, at least one second. */
    static Duration canaryInterval(ReleaseVars v) {
        Duration bake = Duration.parse(v.string(CANARY_BAKE));
        Duration step = bake.dividedBy(v.integer(CANARY_CHECKS));
        return step.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : step.withNanos(0);
    }
}
