package io.opsflow.release;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.locks.LockNames;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.tools.Tool;
import io.opsflow.step.ansible.AnsibleProperties;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Inputs and lock of {@code deploy-application}: the same lock as {@code release-version}, so a deploy and a release
 * of one application in one environment never overlap.
 */
@Component
public class DeployApplicationRunbook extends Runbook {
    public static final String KEY = "deploy-application";
    private final Tool ansiblePlaybook;

    /** For process tests: ansible-playbook from PATH. */
    public DeployApplicationRunbook() {
        this("ansible-playbook");
    }

    @org.springframework.beans.factory.annotation.Autowired
    public DeployApplicationRunbook(AnsibleProperties ansible) {
        this(ansible.getBinary());
    }

    private DeployApplicationRunbook(String ansibleBinary) {
        super(KEY);
        this.ansiblePlaybook = new Tool("ansible-playbook", List.of(ansibleBinary), Tool.ANSIBLE_PLAYBOOK.install());
    }

    private ArtifactCatalog artifacts;

    /** The start check against the artifact store (absent in process tests). */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void artifactCatalog(ArtifactCatalog catalog) {
        this.artifacts = catalog;
    }

    /** The deploy playbook and configure-host.yml run through ansible-playbook on this host. */
    @Override
    public List<Tool> tools() {
        return List.of(ansiblePlaybook);
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment").required(),
                InputSpec.name("application").required(),
                InputSpec.version("version").required(),
                InputSpec.text("reason").maxLength(500).optional());
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("releasePlan", "hostsBefore", "evidenceSummary", "checkDiff");
    }

    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.application((String) vars.get("environment"), (String) vars.get("application")));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        ReleaseVersionRunbook.requireReasonWhenApproved(vars, environments, errors);
        ArtifactCatalog.requireInStore(artifacts, vars, errors);
    }
}
