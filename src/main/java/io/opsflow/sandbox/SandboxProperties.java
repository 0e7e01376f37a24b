package io.opsflow.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code opsflow.sandbox.*}: the local fleet of simulated hosts (development and end-to-end tests only; the
 * {@code prod} profile never creates it). Bound by {@link SandboxConfiguration#sandboxProperties()}, so it is a bean
 * only where the fleet is (not a {@code @ConfigurationProperties} class the application's scan would register in every
 * profile).
 */
public class SandboxProperties {
    /** Starts the fleet with the application. */
    private boolean enabled = false;
    /**
     * Where the fleet runs: {@code embedded} (default) in the engine's own process; {@code fleet}: this process runs
     * the fleet alone (no process engine, no web server) and writes {@link SandboxEngineConfig#FILE} for engine
     * nodes; {@code external}: this engine node creates no fleet and reads the environments of the fleet in
     * {@code fleet-dir}, as it would read the configuration of real hosts. See {@link SandboxFleetApplication}.
     */
    private Mode mode = Mode.EMBEDDED;
    /** {@code mode=external}: the {@code dir} of the fleet process (bound by {@link SandboxExternalFleet}). */
    private Path fleetDir;

    /** See {@link SandboxProperties#getMode()}. */
    public enum Mode {
        EMBEDDED, FLEET, EXTERNAL
    }

    public Mode getMode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    public Path getFleetDir() {
        return fleetDir;
    }

    public void setFleetDir(Path fleetDir) {
        this.fleetDir = fleetDir;
    }
    /** Where hosts, keys, state and the generated inventory live; default {@code ${opsflow.var-dir:var}/sandbox}. */
    private Path dir;
    /**
     * First port of the range app instance ports are taken from: host n gets port base start + 100 * n. A host with
     * nothing deployed whose block someone else holds moves to the next free block (kept in state.json).
     */
    private int portRangeStart = 20000;
    /** Ports reserved per host for app instances (the port base stride). */
    private int portsPerHost = 100;
    /** Login name of the SSH account on every sandbox host (default: the OS user running opsflow). */
    private String user = System.getProperty("user.name", "opsflow");
    /**
     * PATH of the commands the hosts run, as sshd gives a login session its system default PATH (not the PATH of
     * whoever started opsflow: a pyenv or virtualenv shim in front of python3 would not be on a real host either).
     */
    private String hostPath = DEFAULT_HOST_PATH;
    public static final String DEFAULT_HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /**
     * {@code auto}: as root with apt-get, install what the sandbox needs and is missing before the fleet starts;
     * {@code never}: install nothing (a missing required tool stops the start with the install line).
     */
    private SandboxPrerequisites.InstallMode installTools = SandboxPrerequisites.InstallMode.AUTO;
    /** Interval of the load balancers' active health checks. */
    private Duration healthCheckInterval = Duration.ofSeconds(1);
    /** On the first start, deploy {@code bootstrap-application} {@code bootstrap-version} as instance blue on every host. */
    private boolean bootstrap = true;
    private String bootstrapApplication = "webapp";
    private String bootstrapVersion = "1.0.0";
    /** Environments of the fleet: name -> number of hosts and the load balancer port. */
    private Map<String, EnvironmentSpec> environments = defaultEnvironments();

    public SandboxPrerequisites.InstallMode getInstallTools() {
        return installTools;
    }

    public void setInstallTools(SandboxPrerequisites.InstallMode installTools) {
        this.installTools = installTools;
    }

    public static Map<String, EnvironmentSpec> defaultEnvironments() {
        Map<String, EnvironmentSpec> m = new LinkedHashMap<>();
        m.put("staging", new EnvironmentSpec(2, 0));
        m.put("production", new EnvironmentSpec(3, 0));
        return m;
    }

    public static class EnvironmentSpec {
        /** Number of hosts in the environment. */
        private int hosts;
        /** Port of the environment's load balancer; 0 = a free port, chosen once and kept in state.json. */
        private int lbPort;

        public EnvironmentSpec() {
        }

        public EnvironmentSpec(int hosts, int lbPort) {
            this.hosts = hosts;
            this.lbPort = lbPort;
        }

        public int getHosts() {
            return hosts;
        }

        public void setHosts(int hosts) {
            this.hosts = hosts;
        }

        public int getLbPort() {
            return lbPort;
        }

        public void setLbPort(int lbPort) {
            this.lbPort = lbPort;
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Path getDir() {
        return dir;
    }

    public void setDir(Path dir) {
        this.dir = dir;
    }

    public int getPortRangeStart() {
        return portRangeStart;
    }

    public void setPortRangeStart(int portRangeStart) {
        this.portRangeStart = portRangeStart;
    }

    public int getPortsPerHost() {
        return portsPerHost;
    }

    public void setPortsPerHost(int portsPerHost) {
        this.portsPerHost = portsPerHost;
    }

    public String getUser() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    public String getHostPath() {
        return hostPath;
    }

    public void setHostPath(String hostPath) {
        this.hostPath = hostPath;
    }

    public Duration getHealthCheckInterval() {
        return healthCheckInterval;
    }

    public void setHealthCheckInterval(Duration healthCheckInterval) {
        this.healthCheckInterval = healthCheckInterval;
    }

    public boolean isBootstrap() {
        return bootstrap;
    }

    public void setBootstrap(boolean bootstrap) {
        this.bootstrap = bootstrap;
    }

    public String getBootstrapApplication() {
        return bootstrapApplication;
    }

    public void setBootstrapApplication(String bootstrapApplication) {
        this.bootstrapApplication = bootstrapApplication;
    }

    public String getBootstrapVersion() {
        return bootstrapVersion;
    }

    public void setBootstrapVersion(String bootstrapVersion) {
        this.bootstrapVersion = bootstrapVersion;
    }

    public Map<String, EnvironmentSpec> getEnvironments() {
        return environments;
    }

    public void setEnvironments(Map<String, EnvironmentSpec> environments) {
        this.environments = environments;
    }
}
