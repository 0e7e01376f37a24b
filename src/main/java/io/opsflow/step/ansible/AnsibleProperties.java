package io.opsflow.step.ansible;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code opsflow.ansible.*}: where the playbooks live and how ansible-playbook runs. Every key has a default, so
 * nothing needs to be configured for the sandbox.
 */
@ConfigurationProperties("opsflow.ansible")
public class AnsibleProperties {
    /** The ansible-playbook executable: a name looked up on PATH or an absolute path. */
    private String binary = "ansible-playbook";
    /** The ansible/ directory: ansible.cfg, callback_plugins/, playbooks/, roles/, inventories/. */
    private Path dir = Path.of("ansible");
    /** Default time limit of a whole playbook run (the process tree is killed after it). */
    private Duration timeout = Duration.ofMinutes(30);
    /**
     * When a run names an environment and no limit, limit it to the inventory group named like the environment;
     * with a limit, intersect the limit with that group (a staging run can never touch production hosts).
     */
    private boolean limitToEnvironmentGroup = true;
    /** At most this many characters of --check --diff evidence are kept (file variable ansibleDiffFile). */
    private int maxDiffChars = 16 * 1024;
    /** Characters of evidence and log tail in String process variables (Camunda stores at most 4000). */
    private int maxVariableChars = 3900;

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

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public boolean isLimitToEnvironmentGroup() {
        return limitToEnvironmentGroup;
    }

    public void setLimitToEnvironmentGroup(boolean limitToEnvironmentGroup) {
        this.limitToEnvironmentGroup = limitToEnvironmentGroup;
    }

    public int getMaxDiffChars() {
        return maxDiffChars;
    }

    public void setMaxDiffChars(int maxDiffChars) {
        this.maxDiffChars = maxDiffChars;
    }

    public int getMaxVariableChars() {
        return maxVariableChars;
    }

    public void setMaxVariableChars(int maxVariableChars) {
        if (maxVariableChars < 100 || maxVariableChars > 4000) {
            throw new IllegalArgumentException("opsflow.ansible.max-variable-chars must be 100..4000");
        }
        this.maxVariableChars = maxVariableChars;
    }

    /** The ansible/ directory as an absolute path. */
    public Path ansibleDir() {
        return dir.toAbsolutePath().normalize();
    }

    public Path playbooksDir() {
        return ansibleDir().resolve("playbooks");
    }

    public Path configFile() {
        return ansibleDir().resolve("ansible.cfg");
    }

    public Path callbackPluginsDir() {
        return ansibleDir().resolve("callback_plugins");
    }
}
