package io.opsflow.environments;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import org.springframework.stereotype.Component;

/**
 * The registry of environments: built from {@link EnvironmentsProperties} at startup; the sandbox (and provisioning)
 * update hosts and load balancers at run time. Readers always get an immutable snapshot.
 */
@Component
public class Environments {
    /** Default instance port offsets; overridable per app with {@code opsflow.apps.<app>.port-offsets.<instance>}. */
    private static final Map<String, Integer> APP_BASE_OFFSET = Map.of("webapp", 0, "api", 10);

    private final Map<String, Environment> byName = new ConcurrentHashMap<>();
    private final Map<String, MaintenancePolicy> maintenance = new ConcurrentHashMap<>();
    private final List<String> order = new ArrayList<>();
    private final EnvironmentsProperties props;

    public Environments(EnvironmentsProperties props) {
        this.props = props;
        props.getEnvironments().forEach((name, spec) -> {
            byName.put(name, toEnvironment(name, spec));
            maintenance.put(name, toPolicy(name, spec));
            order.add(name);
        });
    }

    static Environment toEnvironment(String name, EnvironmentsProperties.EnvironmentSpec s) {
        List<HostConfig> hosts = s.getHosts().stream()
                .map(h -> new HostConfig(h.getName(), h.getAddress(), h.getSshPort(), h.getPortBase(),
                        h.getPortSpan())).toList();
        List<Environment.Database> dbs = s.getDatabases().stream()
                .map(d -> new Environment.Database(d.getName(), d.getKind(), d.getHost(), d.getPort(),
                        d.getDatabase(), d.getUser(), d.getPasswordRef(), d.getRunOn())).toList();
        var ssh = s.getSsh();
        return new Environment(name, s.isRequiresApproval(), s.getApproverGroup(), s.getParallelism(),
                s.getApprovalReminder(), s.getApprovalDeadline(),
                new Environment.Ssh(ssh.getUser(), ssh.getPort(), ssh.getKeyRef(), ssh.getKnownHosts(),
                        ssh.isHostKeyChecking()),
                hosts, new Environment.LoadBalancer(s.getLoadBalancer().getUrl(), s.getLoadBalancer().getApiUrl()),
                s.getAnsibleInventory(), s.getTerraformRoot(), dbs, s.getArtifactStore(), s.getAppRoot());
    }

    static MaintenancePolicy toPolicy(String name, EnvironmentsProperties.EnvironmentSpec s) {
        List<MaintenanceWindow> windows = new ArrayList<>();
        for (EnvironmentsProperties.WindowSpec w : s.getMaintenanceWindows()) {
            try {
                windows.add(new MaintenanceWindow(w.getCron(), w.getDuration(),
                        java.time.ZoneId.of(w.getZone() == null ? "UTC" : w.getZone())));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("opsflow.environments." + name + ".maintenance-windows: "
                        + e.getMessage(), e);
            }
        }
        if (s.getApprovalMaxAge() != null && (s.getApprovalMaxAge().isNegative() || s.getApprovalMaxAge().isZero())) {
            throw new IllegalArgumentException("opsflow.environments." + name + ".approval-max-age must be positive, not "
                    + s.getApprovalMaxAge());
        }
        return new MaintenancePolicy(windows, s.getApprovalMaxAge());
    }

    /** When runbooks may act on the environment ({@link MaintenancePolicy#ALWAYS} when it declares no window). */
    public MaintenancePolicy maintenance(String name) {
        return name == null ? MaintenancePolicy.ALWAYS : maintenance.getOrDefault(name, MaintenancePolicy.ALWAYS);
    }

    public Environment get(String name) {
        Environment e = name == null ? null : byName.get(name);
        if (e == null) {
            throw new UnknownEnvironmentException(name, names());
        }
        return e;
    }

    public Optional<Environment> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    public boolean exists(String name) {
        return name != null && byName.containsKey(name);
    }

    public synchronized List<String> names() {
        return List.copyOf(order);
    }

    public synchronized Collection<Environment> all() {
        return order.stream().map(byName::get).toList();
    }

    public void updateHosts(String env, List<HostConfig> hosts) {
        update(env, e -> e.withHosts(hosts));
    }

    public void updateLoadBalancer(String env, String url, String apiUrl) {
        update(env, e -> e.withLoadBalancer(new Environment.LoadBalancer(url, apiUrl)));
    }

    public synchronized void update(String env, UnaryOperator<Environment> change) {
        byName.put(env, change.apply(get(env)));
    }

    /** Adds an environment at run time (sandbox), or replaces one. */
    public synchronized void put(Environment e) {
        if (!byName.containsKey(e.name())) {
            order.add(e.name());
        }
        byName.put(e.name(), e);
    }

    /** Port of an application instance on a host. */
    public int instancePort(HostConfig host, String app, String instance) {
        EnvironmentsProperties.AppSpec spec = props.getApps().get(app);
        if (spec != null && spec.getPortOffsets().containsKey(instance)) {
            return host.portBase() + spec.getPortOffsets().get(instance);
        }
        int base = APP_BASE_OFFSET.getOrDefault(app, 40);
        int off;
        if ("blue".equals(instance)) {
            off = base;
        } else if ("green".equals(instance)) {
            off = base + 1;
        } else if (instance.matches("i[1-9][0-9]{0,2}")) {
            off = 20 + base + Integer.parseInt(instance.substring(1));
        } else {
            throw new IllegalArgumentException("no port offset configured for " + app + "/" + instance
                    + " (opsflow.apps." + app + ".port-offsets." + instance + ")");
        }
        return host.portBase() + off;
    }

    public String healthPath(String app) {
        EnvironmentsProperties.AppSpec spec = props.getApps().get(app);
        return spec == null ? "/health" : spec.getHealthPath();
    }

    /** A view for the API: environment with its hosts, no secrets (references only). */
    public static Map<String, Object> describe(Environment e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", e.name());
        m.put("requiresApproval", e.requiresApproval());
        m.put("approverGroup", e.approverGroup());
        m.put("parallelism", e.parallelism());
        Map<String, Object> lb = new LinkedHashMap<>();
        lb.put("url", e.loadBalancer().url());
        m.put("loadBalancer", lb);
        m.put("hosts", e.hosts().stream().map(h -> {
            Map<String, Object> hm = new LinkedHashMap<>();
            hm.put("name", h.name());
            hm.put("address", h.address());
            hm.put("sshPort", e.sshPort(h));
            return hm;
        }).toList());
        return m;
    }
}
