package io.opsflow.provision;

import java.time.Duration;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** {@code opsflow.provision.*}: approval policy and the host setup step of provision-infrastructure. */
@Validated
@ConfigurationProperties(prefix = "opsflow.provision")
public class ProvisionProperties {
    /**
     * Apply needs approval in every environment, not only in production / environments with requires-approval.
     * Destroy always needs approval.
     */
    private boolean requireApprovalEverywhere = false;
    /** Playbook (in ansible/playbooks/) that configures new hosts. */
    @NotBlank
    private String configurePlaybook = "configure-host.yml";
    /** Timeout of the configure-host playbook run. */
    @NotNull
    private Duration configureTimeout = Duration.ofMinutes(30);
    /** Timeout of the SSH check of one new host. */
    @NotNull
    private Duration checkTimeout = Duration.ofSeconds(30);

    public boolean isRequireApprovalEverywhere() { return requireApprovalEverywhere; }
    public void setRequireApprovalEverywhere(boolean v) { this.requireApprovalEverywhere = v; }
    public String getConfigurePlaybook() { return configurePlaybook; }
    public void setConfigurePlaybook(String v) { this.configurePlaybook = v; }
    public Duration getConfigureTimeout() { return configureTimeout; }
    public void setConfigureTimeout(Duration v) { this.configureTimeout = v; }
    public Duration getCheckTimeout() { return checkTimeout; }
    public void setCheckTimeout(Duration v) { this.checkTimeout = v; }
}
