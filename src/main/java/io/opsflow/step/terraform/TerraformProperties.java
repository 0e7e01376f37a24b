package io.opsflow.step.terraform;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code opsflow.terraform.*}: which binary drives Terraform roots, where plan files live, how long each command
 * may take, and what extra environment the binary gets. Every key has a default here, so nothing is required in
 * application.yaml.
 */
@ConfigurationProperties(prefix = "opsflow.terraform")
public class TerraformProperties {

    /** {@code terraform}, {@code tofu}, or an absolute path. Empty: the first of terraform, tofu found on PATH. */
    private String binary = "";

    /** Base directory for relative terraform roots (the repository's terraform/ tree). */
    private Path dir = Path.of("terraform");

    /**
     * Per-run files (var-file, plan file, apply marker): {@code <work-dir>/<processInstanceId>/}.
     * Default: {@code ${opsflow.var-dir}/terraform}.
     */
    private Path workDir;

    private Duration initTimeout = Duration.ofMinutes(10);
    private Duration planTimeout = Duration.ofMinutes(30);
    private Duration applyTimeout = Duration.ofMinutes(60);
    /** For {@code show -json} and {@code output -json}. */
    private Duration readTimeout = Duration.ofMinutes(2);

    /** Passed as {@code -lock-timeout}: how long plan/apply wait for the state lock held by someone else. */
    private Duration lockTimeout = Duration.ofSeconds(60);

    /** Extra plain environment for the binary, e.g. TF_PLUGIN_CACHE_DIR, TF_CLI_CONFIG_FILE. No secrets here. */
    private Map<String, String> env = new LinkedHashMap<>();

    /**
     * Secret environment for the binary, as references resolved at execution and masked in logs, e.g.
     * {@code HCLOUD_TOKEN: env:OPSFLOW_HCLOUD_TOKEN} or {@code AWS_SECRET_ACCESS_KEY: file:/run/secrets/aws}.
     */
    private Map<String, String> secretEnv = new LinkedHashMap<>();

    /** The binaries to try, in order. */
    public List<String> binaryCandidates() {
        return binary == null || binary.isBlank() ? List.of("terraform", "tofu") : List.of(binary.strip());
    }

    public String getBinary() {
        return binary;
    }

    public void setBinary(String binary) {
        this.binary = binary;
    }

    public Path getDir() {
        return dir;
    }

    public void setDir(Path dir) {
        this.dir = dir;
    }

    public Path getWorkDir() {
        return workDir;
    }

    public void setWorkDir(Path workDir) {
        this.workDir = workDir;
    }

    public Duration getInitTimeout() {
        return initTimeout;
    }

    public void setInitTimeout(Duration initTimeout) {
        this.initTimeout = initTimeout;
    }

    public Duration getPlanTimeout() {
        return planTimeout;
    }

    public void setPlanTimeout(Duration planTimeout) {
        this.planTimeout = planTimeout;
    }

    public Duration getApplyTimeout() {
        return applyTimeout;
    }

    public void setApplyTimeout(Duration applyTimeout) {
        this.applyTimeout = applyTimeout;
    }

    public Duration getReadTimeout() {
        return readTimeout;
    }

    public void setReadTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    public Duration getLockTimeout() {
        return lockTimeout;
    }

    public void setLockTimeout(Duration lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    public Map<String, String> getEnv() {
        return env;
    }

    public void setEnv(Map<String, String> env) {
        this.env = env;
    }

    public Map<String, String> getSecretEnv() {
        return secretEnv;
    }

    public void setSecretEnv(Map<String, String> secretEnv) {
        this.secretEnv = secretEnv;
    }
}
