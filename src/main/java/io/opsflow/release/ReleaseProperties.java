package io.opsflow.release;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code opsflow.release.*}: timings of the release and deploy runbooks' real steps. All optional. */
@ConfigurationProperties(prefix = "opsflow.release")
public class ReleaseProperties {
    /** Time limit of one worker script run on a host (release-activate.sh includes its health wait). */
    private Duration workerTimeout = Duration.ofMinutes(3);
    /** How long release-activate.sh / service.sh wait for a (re)started instance to answer its health path. */
    private Duration startHealthTimeout = Duration.ofSeconds(20);
    /**
     * Health gates: how long an instance (or the load balancer) may take to answer healthy. Short: activation already
     * waited {@link #startHealthTimeout} for the instance to come up.
     */
    private Duration healthDeadline = Duration.ofSeconds(5);
    /** Health gates: interval between probes. */
    private Duration healthInterval = Duration.ofSeconds(1);
    /** Requests sampled through the load balancer to check which versions answer (at least 2 per backend). */
    private int loadBalancerSamples = 8;
    /**
     * Before an instance is switched to another version (or back): after draining it, at most this long for the
     * requests it is serving to finish (the drain ends as soon as the load balancer counts none in flight).
     */
    private Duration drainWait = Duration.ofSeconds(30);
    /** After undrain/add of a healthy instance, wait until the load balancer reports it healthy. */
    private Duration loadBalancerWaitHealthy = Duration.ofSeconds(15);
    /** Verify artifacts against {@code <artifact>.sha256} (release-activate.sh --sha256 auto). */
    private boolean verifyArtifactChecksum = true;
    /** Time limit of one ansible-playbook run. */
    private Duration playbookTimeout = Duration.ofMinutes(20);
    /**
     * Extra environment for the runbooks' ansible-playbook runs, e.g. {@code ANSIBLE_PIPELINING: "False"} or
     * {@code ANSIBLE_SSH_CONTROL_PATH_DIR} (the variables the Ansible step controls itself are refused).
     */
    private java.util.Map<String, String> ansibleEnv = new java.util.LinkedHashMap<>();

    public Duration getWorkerTimeout() { return workerTimeout; }
    public void setWorkerTimeout(Duration v) { this.workerTimeout = v; }
    public Duration getStartHealthTimeout() { return startHealthTimeout; }
    public void setStartHealthTimeout(Duration v) { this.startHealthTimeout = v; }
    public Duration getHealthDeadline() { return healthDeadline; }
    public void setHealthDeadline(Duration v) { this.healthDeadline = v; }
    public Duration getHealthInterval() { return healthInterval; }
    public void setHealthInterval(Duration v) { this.healthInterval = v; }
    public int getLoadBalancerSamples() { return loadBalancerSamples; }
    public void setLoadBalancerSamples(int v) { this.loadBalancerSamples = v; }
    public Duration getDrainWait() { return drainWait; }
    public void setDrainWait(Duration v) { this.drainWait = v; }
    public Duration getLoadBalancerWaitHealthy() { return loadBalancerWaitHealthy; }
    public void setLoadBalancerWaitHealthy(Duration v) { this.loadBalancerWaitHealthy = v; }
    public boolean isVerifyArtifactChecksum() { return verifyArtifactChecksum; }
    public void setVerifyArtifactChecksum(boolean v) { this.verifyArtifactChecksum = v; }
    public java.util.Map<String, String> getAnsibleEnv() { return ansibleEnv; }
    public void setAnsibleEnv(java.util.Map<String, String> v) { this.ansibleEnv = v; }
    public Duration getPlaybookTimeout() { return playbookTimeout; }
    public void setPlaybookTimeout(Duration v) { this.playbookTimeout = v; }
}
