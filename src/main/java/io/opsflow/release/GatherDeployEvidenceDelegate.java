package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_GatherEvidence of deploy-application: the application must not be on any host of the environment yet
 * (APP_ALREADY_DEPLOYED otherwise: use release-version); plans one {@code blue} instance per host and runs the deploy
 * playbook with {@code --check --diff} as evidence. Nothing on the hosts changes here.
 */
@Component("deployGatherEvidence")
class GatherDeployEvidenceDelegate extends ReleaseStep {
    /** Instance a first deployment creates on every host (the first colour of later blue-green releases). */
    public static final String FIRST_INSTANCE = "blue";

    GatherDeployEvidenceDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        FleetState fleet = observeBefore(v, log);
        String env = v.environment();
        String app = v.application();
        if (fleet.deployedAnywhere()) {
            String where = fleet.instances().stream()
                    .map(i -> i.host() + "/" + i.instance() + " " + i.version() + (i.running() ? "" : " (stopped)"))
                    .collect(Collectors.joining(", "));
            throw v.failure(ERR_ALREADY_DEPLOYED, app + " is already deployed in " + env + " (" + where
                    + "); use the release-version runbook to change its version");
        }
        if (fleet.hosts().isEmpty()) {
            throw v.failure(ERR_NOT_POSSIBLE, "environment " + env + " has no hosts to deploy " + app + " to");
        }
        List<PlanEntry> entries = new ArrayList<>();
        for (String h : fleet.hosts()) {
            entries.add(new PlanEntry(h, FIRST_INSTANCE, null, null, null, v.version(), 0));
        }
        ReleasePlan plan = new ReleasePlan("deploy", v.version(), null, FIRST_INSTANCE, entries, List.of());
        CheckDiff diff = requirePossible(v, ops.checkDiff(env, app, v.version(), plan.entries(), log),
                "ansible-playbook --check --diff of the deploy playbook");
        v.setJson(PLAN, plan);
        v.resetOutcome();
        StringBuilder s = new StringBuilder("First deployment of ").append(app).append(' ').append(v.version())
                .append(" to ").append(env).append(":\n");
        for (PlanEntry e : entries) {
            s.append("  ").append(e.host()).append(": (none) -> ").append(e.toVersion()).append(" (instance ")
                    .append(e.instance()).append(", registered behind the load balancer)\n");
        }
        s.append("hosts are configured first (configure-host.yml)\n");
        s.append("ansible --check --diff: ").append(diff.summary());
        v.set(EVIDENCE, ReleaseVars.clip(s.toString()));
        v.set(CHECK_DIFF, ReleaseVars.clip(diff.output()));
    }
}
