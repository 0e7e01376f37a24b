package io.opsflow.provision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.step.ansible.AnsibleRun;
import io.opsflow.step.ansible.AnsibleStep;
import io.opsflow.step.ansible.PlaybookResult;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.terraform.PlanSummary;
import io.opsflow.step.terraform.TerraformStep;

/**
 * {@link ProvisionOperations} with the step library: {@link TerraformStep} on the environment's terraform-root
 * (plans stored in the database, {@code io.opsflow.step.terraform.TerraformPlans}; per-run working files under
 * {@code opsflow.terraform.work-dir/<processInstanceId>} on the node that plans or applies), {@link AnsibleStep} running
 * configure-host.yml limited to the new hosts (and the environment's inventory group), and an SSH round trip
 * ({@code true}) per new host as the health check.
 */
@Component
public class TerraformProvisionOperations implements ProvisionOperations {
    private final Environments environments;
    private final TerraformStep terraform;
    private final AnsibleStep ansible;
    private final Fleet fleet;
    private final ProvisionProperties props;

    public TerraformProvisionOperations(Environments environments, TerraformStep terraform, AnsibleStep ansible,
                                        Fleet fleet, ProvisionProperties props) {
        this.environments = environments;
        this.terraform = terraform;
        this.ansible = ansible;
        this.fleet = fleet;
        this.props = props;
    }

    @Override
    public void init(String environment, StepLog log) {
        terraform.init(root(environment), log);
    }

    @Override
    public Plan plan(String environment, String runId, Map<String, Object> terraformVars, boolean destroy,
                     StepLog log) {
        Path root = root(environment);
        Path runDir = terraform.runDir(runId);
        PlanSummary s = destroy ? terraform.destroyPlan(root, terraformVars, runDir, log)
                : terraform.plan(root, terraformVars, runDir, log);
        List<String> lines = s.resourceChanges().stream()
                .map(rc -> rc.symbol() + " " + rc.address() + " (" + String.join(", ", rc.actions()) + ")").toList();
        String summary = s.describe().lines().findFirst().orElse("");
        return new Plan(s.hasChanges(), s.add(), s.change(), s.destroy(), lines, summary, runId + "/" + s.sha256(),
                s.sha256());
    }

    @Override
    public void apply(String environment, String runId, String approvedSha256, StepLog log) {
        try {
            terraform.applyStored(root(environment), runId, approvedSha256, log);
        } catch (io.opsflow.step.terraform.PlanMismatchException e) {
            throw new PlanMismatchException(e.reason() + ": " + e.getMessage());
        }
    }

    @Override
    public Map<String, Object> outputs(String environment, StepLog log) {
        return terraform.outputs(root(environment), log);
    }

    @Override
    public void configureHosts(String environment, List<String> hosts, StepLog log) {
        if (hosts.isEmpty()) {
            return;
        }
        Environment e = environments.get(environment);
        hosts.forEach(h -> FleetHosts.require(e, h));
        AnsibleRun run = AnsibleRun.builder(ansible.playbook(playbookName()), ansible.inventory(e))
                .limit(String.join(",", hosts) + ",&" + e.name())
                .timeout(props.getConfigureTimeout())
                .hostKeyChecking(e.ssh() == null || e.ssh().hostKeyChecking())
                .build();
        PlaybookResult r = ansible.runPlaybook(run, log);
        if (!r.succeeded()) {
            throw new IllegalStateException("configure-host.yml did not configure the new host(s) of " + environment
                    + ": failed " + r.failedHosts() + ", unreachable " + r.unreachableHosts() + "; " + r.summary()
                    + ". Fix the host(s), then retry this job");
        }
        List<String> missing = hosts.stream().filter(h -> !r.stats().containsKey(h)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("configure-host.yml did not reach " + missing + " (not in the inventory "
                    + ansible.inventory(e) + " of " + environment + "?); fix the inventory, then retry this job");
        }
    }

    @Override
    public void checkHosts(String environment, List<String> hosts, StepLog log) {
        Environment e = environments.get(environment);
        FleetScope f = fleet.in(e, props.getCheckTimeout(), log);
        List<String> problems = new ArrayList<>();
        for (String name : hosts) {
            FleetHosts.require(e, name);
            String why = f.unreachable(name);
            if (why != null) {
                problems.add(name + ": " + why);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("new host(s) of " + environment + " do not answer over SSH: " + problems
                    + "; fix them, then retry this job");
        }
    }

    private String playbookName() {
        return Path.of(props.getConfigurePlaybook()).getFileName().toString();
    }

    private Path root(String environment) {
        Environment e = environments.get(environment);
        if (e.terraformRoot() == null || e.terraformRoot().isBlank()) {
            throw new IllegalStateException("environment " + environment + " has no terraform-root "
                    + "(opsflow.environments." + environment + ".terraform-root)");
        }
        return terraform.resolveRoot(e.terraformRoot());
    }

    /** Host lookup with a message naming the environment's hosts. */
    static final class FleetHosts {
        private FleetHosts() {
        }

        static HostConfig require(Environment e, String name) {
            return e.host(name).orElseThrow(() -> new IllegalStateException("environment " + e.name()
                    + " has no host " + name + " after the fleet update (hosts: "
                    + e.hosts().stream().map(HostConfig::name).toList() + ")"));
        }
    }
}
