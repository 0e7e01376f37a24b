package io.opsflow.provision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.tools.Tool;
import io.opsflow.step.ansible.AnsibleProperties;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.step.terraform.TerraformStep;

/**
 * Inputs of provision-infrastructure: {@code action} apply (default) or destroy, the Terraform variables the
 * environment's root declares ({@code hostCount} -> {@code host_count}; others as a JSON object in {@code tfVars}),
 * and a reason. Checked at start against the root itself: an undeclared variable is refused before anything runs.
 */
@Component
public class ProvisionInfrastructureRunbook extends Runbook {
    public static final String PROCESS_KEY = "provision-infrastructure";
    private static final Logger LOG = LoggerFactory.getLogger(ProvisionInfrastructureRunbook.class);

    private final Function<String, Path> rootResolver;
    private final ProvisionProperties props;
    private final List<Tool> tools;

    @Autowired
    public ProvisionInfrastructureRunbook(TerraformStep terraform, AnsibleProperties ansible,
                                          ProvisionProperties props) {
        this(terraform::resolveRoot, props, List.of(
                new Tool("terraform", terraform.properties().binaryCandidates(), "terraform or OpenTofu from its"
                        + " vendor (no Debian package): put it on PATH, or set opsflow.terraform.binary"),
                new Tool("ansible-playbook", List.of(ansible.getBinary()), Tool.ANSIBLE_PLAYBOOK.install())));
    }

    /** For tests: resolves an environment's configured terraform-root to a directory; no tools checked. */
    public ProvisionInfrastructureRunbook(Function<String, Path> rootResolver, ProvisionProperties props) {
        this(rootResolver, props, List.of());
    }

    private ProvisionInfrastructureRunbook(Function<String, Path> rootResolver, ProvisionProperties props,
                                           List<Tool> tools) {
        super(PROCESS_KEY);
        this.rootResolver = rootResolver;
        this.props = props;
        this.tools = tools;
    }

    /** terraform (or tofu) for plan and apply, ansible-playbook to configure new hosts. */
    @Override
    public List<Tool> tools() {
        return tools;
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment"),
                InputSpec.choice("action", "apply", "destroy").defaultValue("apply"),
                InputSpec.integer("hostCount").min(0).max(50).optional(),
                InputSpec.text("tfVars").maxLength(2000).optional(),
                InputSpec.text("reason").maxLength(500).required());
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("terraformVars", "hostsBefore", "tfHasChanges", "tfAdd", "tfChange", "tfDestroy", "tfResourceChanges", "tfPlanSummary", "tfPlanId", "tfPlanSha256");
    }

    /** Destroying, production, or an environment that requires approval (as {@code needsApproval} in the run). */
    @Override
    public boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return "destroy".equals(vars.get("action")) || props.isRequireApprovalEverywhere() || (environment != null
                && ("production".equals(environment.name()) || environment.requiresApproval()));
    }

    /** Infrastructure changes and platform restarts of one environment exclude each other. */
    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.platform((String) vars.get("environment")));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        Environment env = environments.get((String) vars.get("environment"));
        Path root = root(env, errors);
        if (root == null) {
            return;
        }
        Set<String> declared;
        try {
            declared = TerraformRootVariables.declared(root);
        } catch (TerraformRootVariables.UnusableRootException e) {
            // the answer goes to whoever started the run: it names the setting, the directory goes to the log
            LOG.warn("provision-infrastructure refused for {}: {}", env.name(), e.getMessage());
            errors.add("environment: the Terraform root of " + env.name() + " " + e.problem() + " (opsflow.environments."
                    + env.name() + ".terraform-root; the server log names the directory)");
            return;
        }
        TerraformRootVariables.fromInputs(vars.get("hostCount"), vars.get("tfVars"), declared, errors);
    }

    /** The environment's root directory, or null with an error. */
    Path root(Environment env, List<String> errors) {
        if (env.terraformRoot() == null || env.terraformRoot().isBlank()) {
            errors.add("environment: " + env.name() + " has no Terraform root; configure opsflow.environments."
                    + env.name() + ".terraform-root");
            return null;
        }
        return rootResolver.apply(env.terraformRoot());
    }

    /** The Terraform variables of a validated start. */
    public Map<String, Object> terraformVars(Environment env, Object hostCount, Object tfVars) {
        List<String> errors = new ArrayList<>();
        Path root = root(env, errors);
        Map<String, Object> out = root == null ? Map.of()
                : TerraformRootVariables.fromInputs(hostCount, tfVars, TerraformRootVariables.declared(root), errors);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(String.join("; ", errors));
        }
        return out;
    }
}
