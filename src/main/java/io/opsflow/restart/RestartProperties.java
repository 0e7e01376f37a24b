package io.opsflow.restart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * {@code opsflow.restart.*}: what restart-platform restarts besides application instances, and its timings. Proxy and
 * database services are systemd units restarted over SSH with {@code sudo -n systemctl restart <unit>} (the deploy
 * user needs a sudoers rule for exactly these commands); the sandbox has none.
 */
@Validated
@ConfigurationProperties(prefix = "opsflow.restart")
public class RestartProperties {
    /** systemd unit names: letters, digits, '@', '.', '_', '-'; never a leading '-'. */
    static final String UNIT = "[A-Za-z0-9@_][A-Za-z0-9@._-]{0,127}";

    /** Proxy units (e.g. nginx), restarted after the applications. */
    private List<@Pattern(regexp = UNIT) String> proxyUnits = new ArrayList<>();
    /** Database units (e.g. postgresql), restarted last and only with includeDatabase=true. */
    private List<@Pattern(regexp = UNIT) String> databaseUnits = new ArrayList<>();
    /**
     * After draining a host: at most this long for its in-flight requests to finish before its services restart
     * (the drain ends as soon as the load balancer counts none in flight).
     */
    @NotNull
    private Duration drainWait = Duration.ofSeconds(30);
    /** How long a restarted service (and the load balancer after undrain) gets to become healthy. */
    @NotNull
    private Duration healthTimeout = Duration.ofSeconds(60);
    /** Timeout of one SSH step (one script run) of this runbook. */
    @NotNull
    private Duration stepTimeout = Duration.ofMinutes(5);

    public List<String> getProxyUnits() { return proxyUnits; }
    public void setProxyUnits(List<String> v) { this.proxyUnits = v; }
    public List<String> getDatabaseUnits() { return databaseUnits; }
    public void setDatabaseUnits(List<String> v) { this.databaseUnits = v; }
    public Duration getDrainWait() { return drainWait; }
    public void setDrainWait(Duration v) { this.drainWait = v; }
    public Duration getHealthTimeout() { return healthTimeout; }
    public void setHealthTimeout(Duration v) { this.healthTimeout = v; }
    public Duration getStepTimeout() { return stepTimeout; }
    public void setStepTimeout(Duration v) { this.stepTimeout = v; }
}
