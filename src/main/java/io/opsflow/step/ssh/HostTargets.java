package io.opsflow.step.ssh;

import java.nio.file.Path;
import java.util.List;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;
import io.opsflow.environments.Environments;

/**
 * How to reach a host of an environment over SSH: the environment's own ssh settings (user, port, key reference,
 * known_hosts), falling back to {@code opsflow.ssh.*}. Host keys are always verified; an environment's
 * {@code hostKeyChecking=false} affects only Ansible's ANSIBLE_HOST_KEY_CHECKING, never SSHJ.
 */
@Component
public class HostTargets {
    private final Environments environments;
    private final SshProperties defaults;

    public HostTargets(Environments environments, SshProperties defaults) {
        this.environments = environments;
        this.defaults = defaults;
    }

    public SshTarget target(String environment, String hostName) {
        Environment env = environments.get(environment);
        HostConfig host = env.host(hostName).orElseThrow(() -> new IllegalArgumentException("environment "
                + environment + " has no host " + hostName + "; hosts: "
                + env.hosts().stream().map(HostConfig::name).toList()));
        return target(env, host);
    }

    public SshTarget target(Environment env, HostConfig host) {
        Environment.Ssh ssh = env.ssh();
        String keyRef = ssh.keyRef() != null && !ssh.keyRef().isBlank() ? ssh.keyRef() : defaults.keyRef();
        if (keyRef == null || keyRef.isBlank()) {
            throw new IllegalStateException("no SSH key configured for environment " + env.name()
                    + " (opsflow.environments." + env.name() + ".ssh.key-ref or opsflow.ssh.key-ref)");
        }
        Path knownHosts = ssh.knownHosts() != null && !ssh.knownHosts().isBlank() ? Path.of(ssh.knownHosts())
                : defaults.knownHosts();
        String user = ssh.user() != null ? ssh.user() : defaults.user();
        return new SshTarget(host.address(), env.sshPort(host), user, keyRef, defaults.passphraseRef(), knownHosts,
                knownHosts == null ? defaults.fingerprints() : List.of());
    }

    public List<SshTarget> targets(Environment env) {
        return env.hosts().stream().map(h -> target(env, h)).toList();
    }
}
