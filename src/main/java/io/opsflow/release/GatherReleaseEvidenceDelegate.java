package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.*;

import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_GatherEvidence of release-version: observes which version runs on which host, plans the batches, runs the
 * deploy playbook with {@code --check --diff}, and puts it all into variables the approval form shows. Nothing on the
 * hosts changes here. Refuses (RELEASE_NOT_POSSIBLE) when the application is not deployed or the check fails.
 */
@Component("releaseGatherEvidence")
class GatherReleaseEvidenceDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(GatherReleaseEvidenceDelegate.class);

    GatherReleaseEvidenceDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        FleetState fleet = observeBefore(v, log);
        v.set(ACTIVE_COLOUR_BEFORE, fleet.activeColour());
        String env = v.environment();
        String app = v.application();

        List<String> liveHosts = fleet.hosts().stream().filter(h -> fleet.live(h).isPresent()).toList();
        ReleasePlan plan;
        try {
            List<List<String>> batches = ops.planBatches(liveHosts, v.integer(BATCH_SIZE));
            plan = ReleasePlan.forRelease(fleet, app, v.strategy(), v.version(), batches);
        } catch (ReleaseNotPossibleException e) {
            throw v.failure(ERR_NOT_POSSIBLE, e.getMessage());
        }
        int budget = plan.entries().size() * v.integer(MAX_FAILURE_PERCENT) / 100;

        CheckDiff diff = requirePossible(v, ops.dryRun(env, app, v.version(), plan.entries(), log),
                "release-activate.sh --check");

        v.setJson(PLAN, plan);
        v.setJson(BATCHES, plan.batchHosts());
        v.set(BATCH_COUNT, plan.batchCount());
        v.set(PREVIOUS_COLOUR, plan.previousColour());
        v.set(TARGET_COLOUR, plan.targetColour());
        v.set(FAILURE_BUDGET, budget);
        v.resetOutcome();
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
        evidence.append("release-activate.sh --check: ").append(diff.summary());
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
