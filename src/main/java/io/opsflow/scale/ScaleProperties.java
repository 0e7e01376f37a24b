package io.opsflow.scale;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** {@code opsflow.scale.*}: limits and timings of the scale-service runbook. */
@Validated
@ConfigurationProperties(prefix = "opsflow.scale")
public class ScaleProperties {
    /** Instances of one application a host may carry; capacity = hosts x this. */
    @Min(1)
    @Max(20)
    private int maxInstancesPerHost = 2;
    /** No second scale of the same environment/application within this time after a scale changed something. */
    @NotNull
    private Duration cooldown = Duration.ofMinutes(10);
    /**
     * After draining an instance: at most this long for its in-flight requests to finish before it is stopped
     * (the drain ends as soon as the load balancer counts none in flight).
     */
    @NotNull
    private Duration drainWait = Duration.ofSeconds(30);
    /** How long a new instance gets to become healthy (release-activate.sh --health-timeout, LB health wait). */
    @NotNull
    private Duration healthTimeout = Duration.ofSeconds(30);
    /** Distribution check: at most this many requests through the load balancer. */
    @Min(1)
    @Max(10000)
    private int verifyMaxRequests = 200;
    /** Distribution check: at least this many requests (so a removed instance would have shown up). */
    @Min(1)
    @Max(10000)
    private int verifyMinRequests = 20;
    /** Distribution check: and at most this long. */
    @NotNull
    private Duration verifyTimeout = Duration.ofSeconds(30);
    /** Timeout of one SSH step (script run) of this runbook. */
    @NotNull
    private Duration stepTimeout = Duration.ofMinutes(5);
    /** Delta used for an alert that names neither scale_delta nor scale_target. */
    private int alertDefaultDelta = 1;

    public int getMaxInstancesPerHost() { return maxInstancesPerHost; }
    public void setMaxInstancesPerHost(int v) { this.maxInstancesPerHost = v; }
    public Duration getCooldown() { return cooldown; }
    public void setCooldown(Duration v) { this.cooldown = v; }
    public Duration getDrainWait() { return drainWait; }
    public void setDrainWait(Duration v) { this.drainWait = v; }
    public Duration getHealthTimeout() { return healthTimeout; }
    public void setHealthTimeout(Duration v) { this.healthTimeout = v; }
    public int getVerifyMaxRequests() { return verifyMaxRequests; }
    public void setVerifyMaxRequests(int v) { this.verifyMaxRequests = v; }
    public int getVerifyMinRequests() { return verifyMinRequests; }
    public void setVerifyMinRequests(int v) { this.verifyMinRequests = v; }
    public Duration getVerifyTimeout() { return verifyTimeout; }
    public void setVerifyTimeout(Duration v) { this.verifyTimeout = v; }
    public Duration getStepTimeout() { return stepTimeout; }
    public void setStepTimeout(Duration v) { this.stepTimeout = v; }
    public int getAlertDefaultDelta() { return alertDefaultDelta; }
    public void setAlertDefaultDelta(int v) { this.alertDefaultDelta = v; }
}
