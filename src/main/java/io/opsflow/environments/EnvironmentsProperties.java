package io.opsflow.environments;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The named environments runbooks operate on ({@code opsflow.environments.<name>}), validated at startup: a typo in
 * a host or a policy stops the application instead of surfacing in the middle of a release.
 */
@Validated
@ConfigurationProperties(prefix = "opsflow")
public class EnvironmentsProperties {

    @Valid
    private Map<@Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String, EnvironmentSpec> environments = new LinkedHashMap<>();

    @Valid
    private Map<String, AppSpec> apps = new LinkedHashMap<>();

    public Map<String, EnvironmentSpec> getEnvironments() {
        return environments;
    }

    public void setEnvironments(Map<String, EnvironmentSpec> environments) {
        this.environments = environments;
    }

    public Map<String, AppSpec> getApps() {
        return apps;
    }

    public void setApps(Map<String, AppSpec> apps) {
        this.apps = apps;
    }

    public static class EnvironmentSpec {
        private boolean requiresApproval;
        @NotBlank
        @Pattern(regexp = "[A-Za-z0-9_-]{1,64}")
        private String approverGroup = "approvers";
        @Min(1)
        @Max(100)
        private int parallelism = 2;
        @NotNull
        private Duration approvalReminder = Duration.ofHours(4);
        @NotNull
        private Duration approvalDeadline = Duration.ofHours(24);
        @Valid
        private SshSpec ssh = new SshSpec();
        @Valid
        private List<HostSpec> hosts = new ArrayList<>();
        @Valid
        private LoadBalancerSpec loadBalancer = new LoadBalancerSpec();
        private String ansibleInventory;
        private String terraformRoot;
        @Valid
        private List<DatabaseSpec> databases = new ArrayList<>();
        private String artifactStore;
        private String appRoot;
        /** When runbooks may act on this environment; none = at any time. */
        @Valid
        private List<WindowSpec> maintenanceWindows = new ArrayList<>();
        /** How old an approval may be when a run starts acting (at its window); unset = no limit. */
        private Duration approvalMaxAge;

        public boolean isRequiresApproval() { return requiresApproval; }
        public void setRequiresApproval(boolean v) { this.requiresApproval = v; }
        public String getApproverGroup() { return approverGroup; }
        public void setApproverGroup(String v) { this.approverGroup = v; }
        public int getParallelism() { return parallelism; }
        public void setParallelism(int v) { this.parallelism = v; }
        public Duration getApprovalReminder() { return approvalReminder; }
        public void setApprovalReminder(Duration v) { this.approvalReminder = v; }
        public Duration getApprovalDeadline() { return approvalDeadline; }
        public void setApprovalDeadline(Duration v) { this.approvalDeadline = v; }
        public SshSpec getSsh() { return ssh; }
        public void setSsh(SshSpec v) { this.ssh = v; }
        public List<HostSpec> getHosts() { return hosts; }
        public void setHosts(List<HostSpec> v) { this.hosts = v; }
        public LoadBalancerSpec getLoadBalancer() { return loadBalancer; }
        public void setLoadBalancer(LoadBalancerSpec v) { this.loadBalancer = v; }
        public String getAnsibleInventory() { return ansibleInventory; }
        public void setAnsibleInventory(String v) { this.ansibleInventory = v; }
        public String getTerraformRoot() { return terraformRoot; }
        public void setTerraformRoot(String v) { this.terraformRoot = v; }
        public List<DatabaseSpec> getDatabases() { return databases; }
        public void setDatabases(List<DatabaseSpec> v) { this.databases = v; }
        public String getArtifactStore() { return artifactStore; }
        public void setArtifactStore(String v) { this.artifactStore = v; }
        public String getAppRoot() { return appRoot; }
        public void setAppRoot(String v) { this.appRoot = v; }
        public List<WindowSpec> getMaintenanceWindows() { return maintenanceWindows; }
        public void setMaintenanceWindows(List<WindowSpec> v) { this.maintenanceWindows = v; }
        public Duration getApprovalMaxAge() { return approvalMaxAge; }
        public void setApprovalMaxAge(Duration v) { this.approvalMaxAge = v; }
    }

    /** {@code opsflow.environments.<env>.maintenance-windows[n]}: opens at every {@code cron}, open {@code duration}. */
    public static class WindowSpec {
        /** Six-field cron (second minute hour day-of-month month day-of-week), e.g. {@code 0 0 22 * * MON-FRI}. */
        @NotBlank
        private String cron;
        @NotNull
        private Duration duration;
        /** Time zone of the cron; default UTC. */
        private String zone = "UTC";

        public String getCron() { return cron; }
        public void setCron(String v) { this.cron = v; }
        public Duration getDuration() { return duration; }
        public void setDuration(Duration v) { this.duration = v; }
        public String getZone() { return zone; }
        public void setZone(String v) { this.zone = v; }
    }

    public static class SshSpec {
        @Pattern(regexp = "[a-z_][a-z0-9_-]{0,31}")
        private String user = "deploy";
        @Min(1)
        @Max(65535)
        private int port = 22;
        private String keyRef;
        private String knownHosts;
        private boolean hostKeyChecking = true;

        public String getUser() { return user; }
        public void setUser(String v) { this.user = v; }
        public int getPort() { return port; }
        public void setPort(int v) { this.port = v; }
        public String getKeyRef() { return keyRef; }
        public void setKeyRef(String v) { this.keyRef = v; }
        public String getKnownHosts() { return knownHosts; }
        public void setKnownHosts(String v) { this.knownHosts = v; }
        public boolean isHostKeyChecking() { return hostKeyChecking; }
        public void setHostKeyChecking(boolean v) { this.hostKeyChecking = v; }
    }

    public static class HostSpec {
        @NotBlank
        @Pattern(regexp = "[a-z0-9][a-z0-9.-]{0,62}")
        private String name;
        @NotBlank
        @Pattern(regexp = "[A-Za-z0-9.:-]{1,253}")
        private String address;
        private Integer sshPort;
        @Min(1)
        @Max(65000)
        private int portBase = 8000;
        /** Ports from port-base that belong to this host (hosts sharing one machine); unset: all above the base. */
        @Min(1)
        private Integer portSpan;

        public String getName() { return name; }
        public void setName(String v) { this.name = v; }
        public String getAddress() { return address; }
        public void setAddress(String v) { this.address = v; }
        public Integer getSshPort() { return sshPort; }
        public void setSshPort(Integer v) { this.sshPort = v; }
        public int getPortBase() { return portBase; }
        public void setPortBase(int v) { this.portBase = v; }
        public Integer getPortSpan() { return portSpan; }
        public void setPortSpan(Integer v) { this.portSpan = v; }
    }

    public static class LoadBalancerSpec {
        private String url;
        private String apiUrl;

        public String getUrl() { return url; }
        public void setUrl(String v) { this.url = v; }
        public String getApiUrl() { return apiUrl; }
        public void setApiUrl(String v) { this.apiUrl = v; }
    }

    public static class DatabaseSpec {
        @NotBlank
        @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}")
        private String name;
        @NotBlank
        @Pattern(regexp = "postgres|mariadb")
        private String kind;
        @NotBlank
        private String host = "127.0.0.1";
        @Min(1)
        @Max(65535)
        private int port;
        @NotBlank
        @Pattern(regexp = "[A-Za-z0-9_]{1,63}")
        private String database;
        @NotBlank
        @Pattern(regexp = "[A-Za-z0-9_]{1,63}")
        private String user;
        private String passwordRef;
        /** Host (by name) whose workers run the dump/restore; default: the environment's first host. */
        private String runOn;

        public String getName() { return name; }
        public void setName(String v) { this.name = v; }
        public String getKind() { return kind; }
        public void setKind(String v) { this.kind = v; }
        public String getHost() { return host; }
        public void setHost(String v) { this.host = v; }
        public int getPort() { return port; }
        public void setPort(int v) { this.port = v; }
        public String getDatabase() { return database; }
        public void setDatabase(String v) { this.database = v; }
        public String getUser() { return user; }
        public void setUser(String v) { this.user = v; }
        public String getPasswordRef() { return passwordRef; }
        public void setPasswordRef(String v) { this.passwordRef = v; }
        public String getRunOn() { return runOn; }
        public void setRunOn(String v) { this.runOn = v; }
    }

    public static class AppSpec {
        private Map<String, Integer> portOffsets = new LinkedHashMap<>();
        private String healthPath = "/health";

        public Map<String, Integer> getPortOffsets() { return portOffsets; }
        public void setPortOffsets(Map<String, Integer> v) { this.portOffsets = v; }
        public String getHealthPath() { return healthPath; }
        public void setHealthPath(String v) { this.healthPath = v; }
    }
}
