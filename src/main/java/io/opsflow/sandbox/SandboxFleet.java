package io.opsflow.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.sandbox.artifacts.ArtifactStore;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * The sandbox fleet: simulated hosts on 127.0.0.1 (one in-process SSH server each, files under
 * {@code <dir>/hosts/<host>/}), one load balancer per environment, the client key and known_hosts, the generated
 * Ansible inventory, and registration of all of it in {@link Environments} so runbooks reach the hosts exactly as they
 * reach real ones. Starts and stops with the application.
 */
public class SandboxFleet implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxFleet.class);
    public static final String LOOPBACK = "127.0.0.1";
    /** Hosts per sandbox environment: 100-host runs are measured (docs/RELIABILITY.md); each host is a MINA sshd
     * server in this JVM plus one application process per instance. */
    static final int MAX_HOSTS = 200;

    private final SandboxProperties props;
    private final Path dir;
    private final Environments environments; // may be null (plain-Java use)
    private final SandboxApps apps; // null: no workers, the hosts stay empty
    private final SandboxKeys keys;
    private final Map<String, SandboxHost> hosts = new LinkedHashMap<>();
    private final Map<String, SandboxLoadBalancer> balancers = new LinkedHashMap<>();
    private SandboxState state;
    private volatile boolean running;
    private volatile String appsError;
    private volatile List<AdoptedInstance> adopted = List.of();
    private volatile SandboxHost.Hooks hostHooks = SandboxHost.Hooks.NONE;
    /** The start's work begun by {@link #beginStart()}, until {@link #start()} takes it over; guarded by this. */
    private CompletableFuture<Void> early;
    private boolean startedEarly;
    private long upMillis;

    /**
     * @param environments the registry to register hosts and load balancers in (null: none)
     * @param workers      runs workers/ scripts over SSH for bootstrap, stop and restore (null: applications are
     *                     neither deployed nor stopped/restarted by the fleet)
     */
    public SandboxFleet(SandboxProperties props, Path dir, CommandRunner runner, Environments environments,
                        WorkerScripts workers) {
        this.props = props;
        this.dir = dir.toAbsolutePath().normalize();
        this.environments = environments;
        this.apps = workers == null ? null : new SandboxApps(workers, environments);
        this.keys = new SandboxKeys(this.dir.resolve("keys"), runner);
    }

    // ------------------------------------------------------------------ where things are

    public Path dir() {
        return dir;
    }

    public Path stateFile() {
        return dir.resolve("state.json");
    }

    public Path knownHosts() {
        return dir.resolve("known_hosts");
    }

    public Path privateKey() {
        return keys.privateKey();
    }

    public Path inventory() {
        return dir.resolve("ansible/hosts.yml");
    }

    public Path artifactStore() {
        return dir.resolve("artifacts");
    }

    public Path hostRoot(String host) {
        return dir.resolve("hosts").resolve(host);
    }

    /** Where the sandbox's load balancer logs a request (as if each host ran its own proxy): {@link #LB_ACCESS_LOG}
     * under the home of the host whose backend ({@code <host>-<instance>}) served it; under the environment's first
     * host for requests no backend got. */
    private java.util.function.Function<String, Path> lbAccessLogs(SandboxState.Env env) {
        List<String> names = env.hosts.stream().map(h -> h.name).toList();
        return backend -> {
            String host = backend == null ? null
                    : names.stream().filter(n -> backend.startsWith(n + "-")).findFirst().orElse(null);
            if (host == null) {
                host = names.isEmpty() ? null : names.get(0);
            }
            return host == null ? null : hostRoot(host).resolve(LB_ACCESS_LOG);
        };
    }

    /** The load balancer access log on a sandbox host, relative to its home. */
    public static final String LB_ACCESS_LOG = "log/lb-access.log";

    private Path hostKeyFile(String host) {
        return dir.resolve("keys/hosts").resolve(host + "_ecdsa_key");
    }

    public String user() {
        return props.getUser();
    }

    /** {@code file:<private key>}, the form of {@code opsflow.environments.<env>.ssh.key-ref}. */
    public String keyRef() {
        return "file:" + privateKey();
    }

    // ------------------------------------------------------------------ what is there

    /** A host of the fleet as runbooks address it. */
    public record FleetHost(String environment, String name, String address, int sshPort, int portBase, int portSpan,
                            Path root) {
        public HostConfig toHostConfig() {
            return new HostConfig(name, address, sshPort, portBase, portSpan);
        }
    }

    public synchronized List<String> environmentNames() {
        return List.copyOf(state.environments.keySet());
    }

    public synchronized List<FleetHost> hosts(String env) {
        SandboxState.Env e = state == null ? null : state.environments.get(env);
        if (e == null) {
            throw new IllegalArgumentException("the sandbox has no environment " + env + " (it has "
                    + (state == null ? "none" : state.environments.keySet()) + ")");
        }
        List<FleetHost> out = new ArrayList<>();
        for (SandboxState.Host h : e.hosts) {
            SandboxHost sh = hosts.get(h.name);
            int port = sh != null && sh.running() ? sh.port() : h.sshPort;
            out.add(new FleetHost(env, h.name, LOOPBACK, port, h.portBase, props.getPortsPerHost(), hostRoot(h.name)));
        }
        return out;
    }

    public synchronized List<FleetHost> allHosts() {
        List<FleetHost> all = new ArrayList<>();
        state.environments.keySet().forEach(env -> all.addAll(hosts(env)));
        return all;
    }

    public synchronized Optional<SandboxHost> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }

    public synchronized SandboxLoadBalancer loadBalancer(String env) {
        SandboxLoadBalancer lb = balancers.get(env);
        if (lb == null) {
            throw new IllegalArgumentException("the sandbox has no load balancer for environment " + env);
        }
        return lb;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Begins {@link #start()}'s work on a thread of its own ({@code sandbox-fleet-start}): the SSH hosts, load
     * balancers, keys, inventory and the first-start deployment (or the restore) of the applications. The application
     * creates the fleet before it builds the process engine and calls this at once, so those seconds overlap the
     * engine's instead of following them; {@link #start()} (the lifecycle's, before the web server) waits for the
     * work and fails the application's start with its error, exactly as if it had run there. The configuration is
     * validated here, on the caller's thread. Registration in {@link Environments} stays in {@link #start()}: what
     * the rest of the application sees changes at the same point as before.
     */
    public void beginStart() {
        CompletableFuture<Void> f;
        synchronized (this) {
            if (running || early != null) {
                return;
            }
            validate(props); // a configuration error fails the caller at once, before any thread or server
            f = new CompletableFuture<>();
            early = f;
        }
        Thread t = new Thread(() -> {
            try {
                bringUp();
                f.complete(null);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "sandbox-fleet-start");
        t.setDaemon(true);
        t.start();
    }

    /** Whether {@link #beginStart()} began the start's work before {@link #start()} was called. */
    public synchronized boolean startedEarly() {
        return startedEarly;
    }

    @Override
    public void start() {
        CompletableFuture<Void> f;
        synchronized (this) {
            if (running) {
                return;
            }
            f = early;
        }
        if (f == null) {
            bringUp();
        } else {
            awaitEarly(f);
        }
        synchronized (this) {
            early = null;
            startedEarly = f != null;
            register();
            running = true;
            LOG.info("sandbox fleet up in {} ms{}: {} hosts in {}; known_hosts {}, key {}, inventory {}",
                    upMillis, f == null ? "" : " (begun before the engine was built)", hosts.size(),
                    state.environments.keySet(), knownHosts(), privateKey(), inventory());
        }
    }

    private static void awaitEarly(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re; // bringUp's own IllegalStateException, message as it always was
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /**
     * The start's work, on {@link #beginStart()}'s thread or {@link #start()}'s: everything but the registration.
     * Holds the fleet's monitor throughout, so every other caller sees the fleet before or after it, never half-way.
     */
    private synchronized void bringUp() {
        long t0 = System.nanoTime();
        validate(props); // before anything is created
        try {
            Files.createDirectories(dir);
            state = SandboxState.load(stateFile());
            planEnvironments();
            PortPlan ports = checkInstancePorts(); // refuses before anything is started
            keys.ensureClientKey();
            String authorized = keys.publicKeyLine();
            for (SandboxState.Env e : state.environments.values()) {
                for (SandboxState.Host h : e.hosts) {
                    startHost(h, authorized);
                }
            }
            writeKnownHosts();
            for (Map.Entry<String, SandboxState.Env> e : state.environments.entrySet()) {
                SandboxLoadBalancer lb = new SandboxLoadBalancer(e.getKey(), dir.resolve("lb-" + e.getKey() + ".json"),
                        props.getHealthCheckInterval());
                // a configured port wins; otherwise the one chosen at an earlier start (stable URLs for bookmarks)
                int preferred = lbPortFromConfig(e.getKey()) != 0 ? lbPortFromConfig(e.getKey()) : e.getValue().lbPort;
                lb.accessLogs(lbAccessLogs(e.getValue()));
                lb.start(preferred);
                e.getValue().lbPort = lb.port();
                balancers.put(e.getKey(), lb);
            }
            relocateFreshHosts(); // after the SSH servers and load balancers listen: their ports count as taken
            state.save(stateFile());
            writeInventory();
            ArtifactStore.build(artifactStore());
            adopted = ports.adopted();
            startApplications(ports);
            writeEngineConfig(); // last: its presence tells engine nodes the fleet is up
            upMillis = (System.nanoTime() - t0) / 1_000_000;
        } catch (IOException | RuntimeException e) {
            stopServers();
            throw new IllegalStateException("the sandbox fleet in " + dir + " did not start: " + e.getMessage(), e);
        }
    }

    /**
     * The context's destroy callback: a fleet whose start {@link #beginStart() began} but was never handed over to
     * {@link #start()} (the application failed to start after the fleet bean was created) is stopped here, with its
     * application instances, once that work has ended: nothing is left listening or running. A fleet that was handed
     * over is the lifecycle's ({@link #stop()}).
     */
    public void close() {
        CompletableFuture<Void> f;
        synchronized (this) {
            f = early;
        }
        if (f == null) {
            return;
        }
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException e) {
            return; // bringUp stopped its servers when it failed
        }
        synchronized (this) {
            if (early != f || running) {
                return; // handed over meanwhile
            }
            early = null;
            tearDown();
            LOG.info("sandbox fleet stopped: the application did not start");
        }
    }

    /**
     * Stops the fleet's own servers (SSH hosts, load balancers) and nothing else, as if the JVM had been killed: the
     * application instances keep running and state.json stays as the last save left it. For tests of what the next
     * start does with instances a killed opsflow left behind.
     */
    synchronized void haltAsIfKilled() {
        running = false;
        stopServers();
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        tearDown();
        LOG.info("sandbox fleet stopped");
    }

    private void tearDown() {
        try {
            SandboxEngineConfig.remove(dir); // first: no engine node starts against a fleet going away
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", dir.resolve(SandboxEngineConfig.FILE), e.toString());
        }
        stopApplications();
        stopServers();
        try {
            state.save(stateFile());
        } catch (IOException e) {
            LOG.warn("cannot save the sandbox state: {}", e.toString());
        }
    }

    /**
     * First start: deploy the bootstrap application; later starts: bring instances back to their last state. Instances
     * a previous run left running are kept (adopted) or, when they do not answer as they should, restarted.
     */
    private void startApplications(PortPlan ports) throws IOException {
        if (apps == null) {
            LOG.warn("sandbox fleet without WorkerScripts: applications are not deployed or restored");
            return;
        }
        appsError = null;
        try {
            apps.restart(this, ports.restart());
            if (!state.bootstrapped && props.isBootstrap()) {
                apps.bootstrap(this, props.getBootstrapApplication(), props.getBootstrapVersion());
                state.bootstrapped = true;
            } else {
                apps.restore(this, state.runningAtStop, ports.handled());
            }
            state.runningAtStop = null;
        } catch (RuntimeException e) {
            // the fleet itself works (SSH, LB); a newcomer sees this loudly in the log and in applicationsError()
            appsError = e.getMessage();
            LOG.error("sandbox fleet: {} failed; the hosts are up but applications may be missing (retried at the "
                    + "next start): {}", state.bootstrapped ? "restoring the application instances" : "the first-start "
                    + "deployment of " + props.getBootstrapApplication() + " " + props.getBootstrapVersion(),
                    e.getMessage(), e);
        }
        state.save(stateFile());
    }

    private void stopApplications() {
        if (apps == null) {
            return;
        }
        Map<String, List<String>> was = apps.stopAll(this);
        state.runningAtStop = was;
        LOG.info("sandbox fleet: stopped application instances {}", was);
    }

    /** Why deploying or restoring applications failed at the last start; null when it worked. */
    public String applicationsError() {
        return appsError;
    }

    /** An application instance that the last start found running from a previous run and kept as it was. */
    public record AdoptedInstance(String host, String application, String instance, long pid, int port,
                                  String version) {
    }

    /** The instances the last start adopted (not restarted: same process, same port, its release, healthy). */
    public List<AdoptedInstance> adoptedAtStart() {
        return adopted;
    }

    private void stopServers() {
        balancers.values().forEach(SandboxLoadBalancer::stop);
        balancers.clear();
        hosts.values().forEach(SandboxHost::stop);
        hosts.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Early: before the web server and the job executor start, after they stop. */
    @Override
    public int getPhase() {
        return 0;
    }

    // ------------------------------------------------------------------ hosts

    /** Refuses a configuration the fleet cannot run, saying which key to fix. */
    static void validate(SandboxProperties p) {
        List<String> errors = new ArrayList<>();
        if (p.getUser() == null || !p.getUser().matches("[A-Za-z_][A-Za-z0-9_.-]{0,31}")) {
            errors.add("opsflow.sandbox.user must be a login name, got '" + p.getUser() + "'");
        }
        if (p.getPortsPerHost() < 50 || p.getPortsPerHost() > 1000) {
            errors.add("opsflow.sandbox.ports-per-host must be 50..1000, got " + p.getPortsPerHost());
        }
        if (p.getPortRangeStart() < 1024 || p.getPortRangeStart() > 60000) {
            errors.add("opsflow.sandbox.port-range-start must be 1024..60000, got " + p.getPortRangeStart());
        }
        String path = p.getHostPath();
        if (path == null || path.isEmpty() || java.util.Arrays.stream(path.split(":", -1))
                .anyMatch(d -> !d.matches("/[A-Za-z0-9._/+-]*"))) {
            errors.add("opsflow.sandbox.host-path must be absolute directories separated by ':', got '" + path + "'");
        }
        if (p.getHealthCheckInterval() == null || p.getHealthCheckInterval().toMillis() < 100) {
            errors.add("opsflow.sandbox.health-check-interval must be at least 100ms, got "
                    + p.getHealthCheckInterval());
        }
        p.getEnvironments().forEach((env, spec) -> {
            if (!env.matches("[a-z][a-z0-9-]{0,31}")) {
                errors.add("opsflow.sandbox.environments: invalid environment name '" + env
                        + "' (expected [a-z][a-z0-9-]{0,31})");
            } else if (spec == null || spec.getHosts() < 0 || spec.getHosts() > MAX_HOSTS) {
                errors.add("opsflow.sandbox.environments." + env + ".hosts must be 0.." + MAX_HOSTS + ", got "
                        + (spec == null ? null : spec.getHosts()));
            } else if (spec.getLbPort() < 0 || spec.getLbPort() > 65535) {
                errors.add("opsflow.sandbox.environments." + env + ".lb-port must be 0..65535, got " + spec.getLbPort());
            }
        });
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid sandbox configuration: " + String.join("; ", errors));
        }
    }

    /** Environments from the configuration that the state does not know yet get their initial hosts. */
    private void planEnvironments() {
        props.getEnvironments().forEach((env, spec) -> {
            if (!state.environments.containsKey(env)) {
                SandboxState.Env e = new SandboxState.Env();
                state.environments.put(env, e);
                for (int i = 0; i < spec.getHosts(); i++) {
                    e.hosts.add(newHost(env, e));
                }
            }
        });
    }

    private SandboxState.Host newHost(String env, SandboxState.Env e) {
        int n = 1;
        for (SandboxState.Host h : e.hosts) {
            String suffix = h.name.substring(h.name.lastIndexOf('-') + 1);
            if (suffix.matches("[0-9]+")) {
                n = Math.max(n, Integer.parseInt(suffix) + 1);
            }
        }
        int index = state.nextHostIndex++;
        return new SandboxState.Host(env + "-web-" + n, index, 0, blockBase(index));
    }

    /** Port base of host index {@code index}: {@code port-range-start + index * ports-per-host}. */
    private int blockBase(int index) {
        int base = props.getPortRangeStart() + index * props.getPortsPerHost();
        if (base + props.getPortsPerHost() > 65536) {
            throw new IllegalStateException("port range exhausted: host index " + index + " would get port base "
                    + base + " (lower opsflow.sandbox.port-range-start)");
        }
        return base;
    }

    // ------------------------------------------------------------------ ports taken by someone else

    /**
     * What the start found on the ports of the instances it is going to run: instances adopted as they are, instances
     * of ours to restart (host -> "app/instance"), and all of those as host -> "app/instance" for the restore to skip.
     */
    private record PortPlan(List<AdoptedInstance> adopted, Map<String, List<String>> restart,
                            Map<String, List<String>> handled) {
        static PortPlan none() {
            return new PortPlan(List.of(), Map.of(), Map.of());
        }
    }

    /** An instance this start is going to run: where, and the port it will listen on. */
    private record Planned(String app, String instance, int port, SandboxInstances.Installed installed) {
    }

    /**
     * Before anything starts, looks at the port of every instance this start is going to run on a host that has
     * applications deployed (hosts with nothing deployed are handled by {@link #relocateFreshHosts}): free is fine;
     * the instance itself, left running by a previous run of this sandbox, is adopted (or restarted when it does not
     * answer as it should); anything else refuses the start, naming the port, the instance and the holder — nothing
     * has been started then. Deployed instances never move: their ports are in instance.env on the host and in the load
     * balancer pools, and runs in progress work with them.
     */
    private PortPlan checkInstancePorts() {
        if (apps == null) {
            return PortPlan.none();
        }
        boolean bootstrapping = !state.bootstrapped && props.isBootstrap();
        List<AdoptedInstance> adoptedNow = new ArrayList<>();
        Map<String, List<String>> restart = new LinkedHashMap<>();
        Map<String, List<String>> handled = new LinkedHashMap<>();
        List<String> refused = new ArrayList<>();
        for (Map.Entry<String, SandboxState.Env> e : state.environments.entrySet()) {
            for (SandboxState.Host h : e.getValue().hosts) {
                List<SandboxInstances.Installed> installed = SandboxInstances.installed(h.name, hostRoot(h.name));
                if (installed.isEmpty()) {
                    continue;
                }
                for (Planned p : planned(e.getKey(), h, installed, bootstrapping)) {
                    SandboxInstances.Check c = SandboxInstances.check(p.installed(), p.port());
                    String what = p.app() + "/" + p.instance();
                    switch (c.verdict()) {
                        case FREE -> {
                        }
                        case ADOPT -> {
                            adoptedNow.add(new AdoptedInstance(h.name, p.app(), p.instance(), c.pid(), p.port(),
                                    p.installed().version()));
                            handled.computeIfAbsent(h.name, k -> new ArrayList<>()).add(what);
                            LOG.info("sandbox: {} on {} still runs from a previous run ({}): adopted, not restarted",
                                    what, h.name, c.detail());
                        }
                        case RESTART -> {
                            restart.computeIfAbsent(h.name, k -> new ArrayList<>()).add(what);
                            handled.computeIfAbsent(h.name, k -> new ArrayList<>()).add(what);
                            LOG.warn("sandbox: {} on {} was left running by a previous run but {}: restarting it",
                                    what, h.name, c.detail());
                        }
                        case FOREIGN -> refused.add("port " + p.port() + " (" + h.name + " " + p.app() + " "
                                + p.instance() + ") is held by " + c.detail());
                    }
                }
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalStateException(String.join("; ", refused) + "; stop " + (refused.size() == 1 ? "it"
                    : "them") + " and start again. Instances "
                    + "already deployed keep their ports (to start this sandbox over on other ports: stop opsflow, "
                    + "remove " + dir + " and set opsflow.sandbox.port-range-start)");
        }
        return new PortPlan(List.copyOf(adoptedNow), restart, handled);
    }

    /**
     * The instances this start runs on a host with deployments: the bootstrap instance on a first start; else those
     * running at the last clean stop, or (after a crash) those whose desired state is running.
     */
    private List<Planned> planned(String env, SandboxState.Host h, List<SandboxInstances.Installed> installed,
                                  boolean bootstrapping) {
        Map<String, SandboxInstances.Installed> byKey = new LinkedHashMap<>();
        installed.forEach(i -> byKey.put(i.key(), i));
        List<Planned> out = new ArrayList<>();
        if (bootstrapping) {
            String app = props.getBootstrapApplication();
            FleetHost fh = new FleetHost(env, h.name, LOOPBACK, h.sshPort, h.portBase, props.getPortsPerHost(),
                    hostRoot(h.name));
            out.add(new Planned(app, "blue", apps.instancePort(fh, app, "blue"), byKey.get(app + "/blue")));
            return out;
        }
        List<String> listed = state.runningAtStop == null ? null : state.runningAtStop.get(h.name);
        for (SandboxInstances.Installed i : installed) {
            boolean runs = listed != null ? listed.contains(i.key()) : "running".equals(i.desiredState());
            if (runs && i.port() > 0) {
                out.add(new Planned(i.app(), i.instance(), i.port(), i));
            }
        }
        return out;
    }

    /**
     * A host with nothing deployed on it whose port block has a listener in it (another sandbox, a service, an
     * instance a deleted sandbox left running, or one of this fleet's own SSH servers and load balancers) moves to the
     * next block that has none; the new port base is kept in state.json and is what the registry, the inventory and
     * every instance port computed from it use.
     */
    private void relocateFreshHosts() {
        for (SandboxState.Env e : state.environments.values()) {
            for (SandboxState.Host h : e.hosts) {
                if (SandboxInstances.installed(h.name, hostRoot(h.name)).isEmpty()) {
                    moveWhenTaken(h);
                }
            }
        }
    }

    /** Gives {@code h} the next port block with no listener when a port of its block is taken. */
    private void moveWhenTaken(SandboxState.Host h) {
        int size = props.getPortsPerHost();
        OptionalInt held = SandboxPorts.firstHeld(h.portBase, h.portBase + size);
        if (held.isEmpty()) {
            return;
        }
        String holder = SandboxPorts.describeHolder(held.getAsInt());
        int oldBase = h.portBase;
        while (true) {
            int index = state.nextHostIndex++;
            int base = blockBase(index);
            if (SandboxPorts.firstHeld(base, base + size).isEmpty()) {
                h.index = index;
                h.portBase = base;
                break;
            }
        }
        LOG.warn("sandbox host {}: port {} is held by {}; nothing is deployed on the host, so its ports move from "
                        + "{}..{} to {}..{} (kept in {})", h.name, held.getAsInt(), holder, oldBase, oldBase + size - 1,
                h.portBase, h.portBase + size - 1, stateFile());
    }

    /** Fault injection's hooks on every host, now and started later (io.opsflow.sandbox.faults). */
    public synchronized void hostHooks(SandboxHost.Hooks hooks) {
        hostHooks = hooks;
        this.hosts.values().forEach(h -> h.hooks(hooks));
    }

    private void startHost(SandboxState.Host h, String authorizedKey) throws IOException {
        SandboxHost host = new SandboxHost(h.name, hostRoot(h.name), hostKeyFile(h.name), props.getUser(),
                props.getHostPath());
        host.hooks(hostHooks);
        host.prepare(authorizedKey);
        host.start(h.sshPort);
        h.sshPort = host.port();
        hosts.put(h.name, host);
    }

    /**
     * Adds a host to an environment (scale out / provisioning): starts its SSH server, rewrites known_hosts and the
     * inventory, and updates the environment registry. Nothing is deployed on it.
     */
    public synchronized FleetHost addHost(String env) {
        requireRunning();
        SandboxState.Env e = state.environments.get(env);
        if (e == null) {
            throw new IllegalArgumentException("the sandbox has no environment " + env);
        }
        try {
            SandboxState.Host h = newHost(env, e);
            startHost(h, keys.publicKeyLine());
            moveWhenTaken(h); // its own SSH server counts as taken too
            e.hosts.add(h);
            afterHostsChanged();
            LOG.info("sandbox: added host {} to {} (ssh port {})", h.name, env, h.sshPort);
            return hosts(env).stream().filter(f -> f.name().equals(h.name)).findFirst().orElseThrow();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot add a host to " + env + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Removes a host from an environment (scale in / decommission): stops its SSH server and forgets it. Its
     * directory stays on disk (like a detached volume); application processes there are the caller's to stop first.
     */
    public synchronized void removeHost(String env, String hostName) {
        requireRunning();
        SandboxState.Env e = state.environments.get(env);
        if (e == null || e.hosts.stream().noneMatch(h -> h.name.equals(hostName))) {
            throw new IllegalArgumentException("the sandbox environment " + env + " has no host " + hostName);
        }
        e.hosts.removeIf(h -> h.name.equals(hostName));
        SandboxHost host = hosts.remove(hostName);
        if (host != null) {
            host.stop();
        }
        try {
            afterHostsChanged();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        LOG.info("sandbox: removed host {} from {}", hostName, env);
    }

    private void afterHostsChanged() throws IOException {
        writeKnownHosts();
        state.save(stateFile());
        writeInventory();
        register();
        writeEngineConfig();
    }

    private void requireRunning() {
        if (!running) {
            throw new IllegalStateException("the sandbox fleet is not running");
        }
    }

    private int lbPortFromConfig(String env) {
        SandboxProperties.EnvironmentSpec spec = props.getEnvironments().get(env);
        return spec == null ? 0 : spec.getLbPort();
    }

    // ------------------------------------------------------------------ files others read

    private void writeKnownHosts() throws IOException {
        List<String> lines = new ArrayList<>();
        for (SandboxHost h : hosts.values()) {
            lines.add(h.knownHostsLine());
        }
        keys.writeKnownHosts(knownHosts(), lines);
    }

    private void writeInventory() throws IOException {
        List<SandboxInventory.Group> groups = new ArrayList<>();
        for (String env : state.environments.keySet()) {
            SandboxLoadBalancer lb = balancers.get(env);
            List<SandboxInventory.Entry> entries = hosts(env).stream()
                    .map(h -> new SandboxInventory.Entry(h.name(), h.sshPort(), h.root(), h.portBase())).toList();
            groups.add(new SandboxInventory.Group(env, lb == null ? null : lb.url(), lb == null ? null : lb.apiUrl(),
                    entries));
        }
        SandboxInventory.write(inventory(), groups, props.getUser(), privateKey(), knownHosts(), python(),
                artifactStore());
    }

    /** {@link SandboxEngineConfig#FILE}: the fleet's environments for engine nodes in {@code mode=external}. */
    public Path engineConfig() {
        return dir.resolve(SandboxEngineConfig.FILE);
    }

    private void writeEngineConfig() throws IOException {
        List<SandboxEngineConfig.Env> envs = new ArrayList<>();
        for (String env : state.environments.keySet()) {
            SandboxLoadBalancer lb = balancers.get(env);
            envs.add(new SandboxEngineConfig.Env(env, hosts(env), lb == null ? null : lb.url(),
                    lb == null ? null : lb.apiUrl()));
        }
        SandboxEngineConfig.write(dir, envs, props.getUser(), keyRef(), knownHosts(), inventory(), artifactStore());
    }

    /** The python3 Ansible modules run with on the sandbox hosts. */
    static String python() {
        Path system = Path.of("/usr/bin/python3");
        if (Files.isExecutable(system)) {
            return system.toString();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(d.isEmpty() ? "." : d, "python3");
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return "python3";
    }

    // ------------------------------------------------------------------ registration

    /** Tells the environment registry where the sandbox hosts, load balancers, key and known_hosts are. */
    private void register() {
        if (environments == null) {
            return;
        }
        for (String env : state.environments.keySet()) {
            List<HostConfig> hc = hosts(env).stream().map(FleetHost::toHostConfig).toList();
            SandboxLoadBalancer lb = balancers.get(env);
            if (!environments.exists(env)) {
                environments.put(defaultEnvironment(env));
            }
            environments.update(env, e -> {
                Environment.Ssh ssh = new Environment.Ssh(props.getUser(), e.ssh() == null ? 22 : e.ssh().port(),
                        keyRef(), knownHosts().toString(), true);
                Environment out = e.withHosts(hc).withSsh(ssh)
                        .withLoadBalancer(new Environment.LoadBalancer(lb.url(), lb.apiUrl()))
                        .withAnsibleInventory(inventory().toString());
                if (out.artifactStore() == null || out.artifactStore().isBlank()) {
                    out = out.withArtifactStore(artifactStore().toString());
                }
                return out;
            });
        }
    }

    private Environment defaultEnvironment(String env) {
        return new Environment(env, "production".equals(env), "approvers", 2, Duration.ofHours(4), Duration.ofHours(24),
                new Environment.Ssh(props.getUser(), 22, keyRef(), knownHosts().toString(), true), List.of(),
                new Environment.LoadBalancer(null, null), inventory().toString(), null, List.of(),
                artifactStore().toString(), null);
    }
}
