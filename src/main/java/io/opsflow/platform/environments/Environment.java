package io.opsflow.platform.environments;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One environment as runbooks see it: policy, hosts and how to reach them. Immutable snapshot. */
public record Environment(String name, boolean requiresApproval, String approverGroup, int parallelism,
                          Duration approvalReminder, Duration approvalDeadline, Ssh ssh, List<HostConfig> hosts,
                          LoadBalancer loadBalancer, String ansibleInventory, String terraformRoot,
                          List<Database> databases, String artifactStore, String appRoot) {

    public Environment {
        hosts = List.copyOf(hosts);
        databases = List.copyOf(databases);
    }

    public record Ssh(String user, int port, String keyRef, String knownHosts, boolean hostKeyChecking) {
    }

    public record LoadBalancer(String url, String apiUrl) {
    }

    public record Database(String name, String kind, String host, int port, String database, String user,
                           String passwordRef, String runOn) {
    }

    public Optional<HostConfig> host(String hostName) {
        return hosts.stream().filter(h -> h.name().equals(hostName)).findFirst();
    }

    public Optional<Database> database(String dbName) {
        return databases.stream().filter(d -> d.name().equals(dbName)).findFirst();
    }

    /** SSH port of a host: the host's own, else the environment's default. */
    public int sshPort(HostConfig h) {
        return h.sshPort() != null ? h.sshPort() : ssh.port();
    }

    public Environment withHosts(List<HostConfig> newHosts) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, ssh, newHosts, loadBalancer, ansibleInventory, terraformRoot, databases,
                artifactStore, appRoot);
    }

    public Environment withLoadBalancer(LoadBalancer lb) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, ssh, hosts, lb, ansibleInventory, terraformRoot, databases, artifactStore, appRoot);
    }

    public Environment withSsh(Ssh newSsh) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, newSsh, hosts, loadBalancer, ansibleInventory, terraformRoot, databases,
                artifactStore, appRoot);
    }

    public Environment withArtifactStore(String store) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, ssh, hosts, loadBalancer, ansibleInventory, terraformRoot, databases, store,
                appRoot);
    }

    public Environment withAnsibleInventory(String inventory) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, ssh, hosts, loadBalancer, inventory, terraformRoot, databases, artifactStore,
                appRoot);
    }

    public Environment withTerraformRoot(String root) {
        return new Environment(name, requiresApproval, approverGroup, parallelism, approvalReminder,
                approvalDeadline, ssh, hosts, loadBalancer, ansibleInventory, root, databases, artifactStore,
                appRoot);
    }
}
