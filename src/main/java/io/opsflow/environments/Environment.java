package io.opsflow.environments;

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

    /**
     * {@code url}: where clients send traffic; {@code apiUrl}: the admin API base (docs/contracts.md, section 2).
     */
    public record LoadBalancer(String url, String apiUrl) {
        /** The traffic URL without a trailing {@code /}, or null when none is configured. */
        public String trafficUrl() {
            return trimmed(url);
        }

        /** The admin API base without a trailing {@code /} (paths {@code /_lb/...} are appended), or null. */
        public String adminApi() {
            return trimmed(apiUrl);
        }

        private static String trimmed(String u) {
            return u == null || u.isBlank() ? null : u.replaceAll("/+$", "");
        }
    }

    public record Database(String name, String kind, String host, int port, String database, String user,
                           String passwordRef, String runOn) {
    }

    public Optional<HostConfig> host(String hostName) {
        return hosts.stream().filter(h -> h.name().equals(hostName)).findFirst();
    }

    /** The host of that name; an IllegalArgumentException naming the environment's hosts when there is none. */
    public HostConfig requireHost(String hostName) {
        return host(hostName).orElseThrow(() -> new IllegalArgumentException("environment " + name + " has no host "
                + hostName + " (hosts: " + hostNames() + ")"));
    }

    public List<String> hostNames() {
        return hosts.stream().map(HostConfig::name).toList();
    }

    /** The application root on the hosts ({@code app-root}); {@code ~}, the login's home, when none is set. */
    public String appRootOnHosts() {
        return appRoot == null || appRoot.isBlank() ? "~" : appRoot;
    }

    /** The load balancer's admin API base (no trailing {@code /}), or null when the environment has none. */
    public String loadBalancerApi() {
        return loadBalancer == null ? null : loadBalancer.adminApi();
    }

    /** Where traffic enters the environment's load balancer (no trailing {@code /}), or null. */
    public String loadBalancerUrl() {
        return loadBalancer == null ? null : loadBalancer.trafficUrl();
    }

    /**
     * The artifact of an application version as the hosts fetch it: {@code <artifact-store>/<app>-<version>.tar.gz}
     * (the store is a directory on the hosts or an http(s) base URL).
     */
    public String artifact(String app, String version) {
        if (artifactStore == null || artifactStore.isBlank()) {
            throw new IllegalStateException("environment " + name + " has no artifact store "
                    + "(opsflow.environments." + name + ".artifact-store)");
        }
        return artifactStore.replaceAll("/+$", "") + "/" + app + "-" + version + ".tar.gz";
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
