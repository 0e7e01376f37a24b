package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.observe.EnvironmentObserver;
import io.opsflow.observe.ObservedEnvironment;
import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;
import io.opsflow.testsupport.RealComponent;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.IOUtils;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.xfer.InMemorySourceFile;

/** The real fleet: in-process SSH hosts reached by SSHJ, OpenSSH's ssh and Ansible; restart keeps keys and ports. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SandboxFleetIT {
    @TempDir
    static Path tmp;
    static SandboxProperties props;
    static SandboxFleet fleet;
    static Environments environments;
    static final CommandRunner RUNNER = new CommandRunner();
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static SshConnections connections;
    static WorkerScripts workers;

    @BeforeAll
    static void startFleet() {
        props = new SandboxProperties();
        props.setEnabled(true);
        props.setPortRangeStart(21000 + 1000 * ThreadLocalRandom.current().nextInt(40));
        props.setHealthCheckInterval(Duration.ofMillis(500));
        environments = new Environments(new EnvironmentsProperties());
        connections = new SshConnections(Duration.ofSeconds(10));
        workers = new WorkerScripts(connections, Path.of("workers"), ".opsflow/workers");
        fleet = new SandboxFleet(props, tmp.resolve("sandbox"), RUNNER, environments, workers);
        fleet.start();
        assertThat(fleet.applicationsError()).isNull();
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.stop();
        }
    }

    static SSHClient connect(SandboxFleet.FleetHost h) throws IOException {
        SSHClient c = new SSHClient();
        c.loadKnownHosts(fleet.knownHosts().toFile());
        c.setConnectTimeout(5000);
        c.connect(h.address(), h.sshPort());
        c.authPublickey(fleet.user(), c.loadKeys(fleet.privateKey().toString()));
        return c;
    }

    record Exec(int exit, String out, String err) {
    }

    static Exec exec(SSHClient c, String command) throws IOException {
        try (Session s = c.startSession()) {
            Session.Command cmd = s.exec(command);
            String out = IOUtils.readFully(cmd.getInputStream()).toString(StandardCharsets.UTF_8);
            String err = IOUtils.readFully(cmd.getErrorStream()).toString(StandardCharsets.UTF_8);
            cmd.join(20, TimeUnit.SECONDS);
            return new Exec(cmd.getExitStatus(), out, err);
        }
    }

    @Test
    @Order(1)
    void hasTheEnvironmentsAndRegistersThem() {
        assertThat(fleet.environmentNames()).containsExactly("staging", "production");
        assertThat(fleet.hosts("staging")).extracting(SandboxFleet.FleetHost::name)
                .containsExactly("staging-web-1", "staging-web-2");
        assertThat(fleet.hosts("production")).extracting(SandboxFleet.FleetHost::name)
                .containsExactly("production-web-1", "production-web-2", "production-web-3");
        List<SandboxFleet.FleetHost> all = fleet.allHosts();
        assertThat(all).extracting(SandboxFleet.FleetHost::sshPort).doesNotHaveDuplicates();
        assertThat(all).extracting(SandboxFleet.FleetHost::portBase).doesNotHaveDuplicates()
                .allMatch(b -> b >= props.getPortRangeStart());

        Environment prod = environments.get("production");
        assertThat(prod.requiresApproval()).isTrue();
        assertThat(environments.get("staging").requiresApproval()).isFalse();
        assertThat(prod.hosts()).hasSize(3);
        assertThat(prod.hosts().get(0).sshPort()).isEqualTo(fleet.hosts("production").get(0).sshPort());
        assertThat(prod.ssh().keyRef()).isEqualTo("file:" + fleet.privateKey());
        assertThat(prod.ssh().knownHosts()).isEqualTo(fleet.knownHosts().toString());
        assertThat(prod.ssh().user()).isEqualTo(fleet.user());
        assertThat(prod.loadBalancer().url()).isEqualTo(fleet.loadBalancer("production").url());
        assertThat(prod.ansibleInventory()).isEqualTo(fleet.inventory().toString());
    }

    @Test
    @Order(2)
    void everyHostAnswersOverSshWithAVerifiedHostKey() throws Exception {
        for (SandboxFleet.FleetHost h : fleet.allHosts()) {
            try (SSHClient c = connect(h)) {
                Exec e = exec(c, "printf '%s|%s|%s\\n' \"$HOME\" \"$(pwd)\" \"$USER\"; echo oops >&2; exit 3");
                assertThat(e.exit()).isEqualTo(3);
                assertThat(e.out().strip()).isEqualTo(h.root() + "|" + h.root() + "|" + fleet.user());
                assertThat(e.err()).isEqualTo("oops\n");
                // the command string goes through the shell, like a real sshd
                assertThat(exec(c, "true && echo 'a b'  \"$((1+2))\"").out()).isEqualTo("a b 3\n");
                // a login session's system PATH, not the PATH of the JVM that runs the sandbox
                assertThat(exec(c, "echo \"$PATH\"").out().strip()).isEqualTo(SandboxProperties.DEFAULT_HOST_PATH);
            }
        }
    }

    @Test
    @Order(3)
    void sftpWorksWithRelativeAndAbsolutePaths() throws Exception {
        SandboxFleet.FleetHost h = fleet.hosts("staging").get(0);
        try (SSHClient c = connect(h); SFTPClient sftp = c.newSFTPClient()) {
            assertThat(sftp.canonicalize(".")).isEqualTo(h.root().toString());
            sftp.mkdirs(".opsflow/test");
            sftp.put(source("hello\n", "a.txt"), ".opsflow/test/a.txt");
            String abs = h.root().resolve(".opsflow/test/b.txt").toString();
            sftp.put(source("abs\n", "b.txt"), abs);
            assertThat(Files.readString(h.root().resolve(".opsflow/test/a.txt"))).isEqualTo("hello\n");
            assertThat(Files.readString(h.root().resolve(".opsflow/test/b.txt"))).isEqualTo("abs\n");
            assertThat(exec(c, "cat ~/.opsflow/test/a.txt " + abs).out()).isEqualTo("hello\nabs\n");
        }
    }

    private static InMemorySourceFile source(String content, String name) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return new InMemorySourceFile() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public long getLength() {
                return bytes.length;
            }

            @Override
            public java.io.InputStream getInputStream() {
                return new java.io.ByteArrayInputStream(bytes);
            }
        };
    }

    @Test
    @Order(4)
    void closingTheChannelKillsTheCommandsProcessGroupButNotDetachedDaemons() throws Exception {
        SandboxFleet.FleetHost h = fleet.hosts("staging").get(1);
        long shPid;
        long sleepPid;
        long daemonPid;
        try (SSHClient c = connect(h)) {
            // like sshd, the shell leads its own session and process group (remote kill -- -$$ works)
            Exec ids = exec(c, "echo $$; cut -d' ' -f5,6 /proc/$$/stat");
            String[] lines = ids.out().split("\n");
            assertThat(lines[1]).isEqualTo(lines[0] + " " + lines[0]);
            try (Session s = c.startSession()) {
                Session.Command cmd = s.exec("setsid sleep 301 </dev/null >/dev/null 2>&1 & d=$!; "
                        + "sleep 300 & echo $$ $! $d; wait");
                BufferedReader r = new BufferedReader(new InputStreamReader(cmd.getInputStream(),
                        StandardCharsets.UTF_8));
                String[] pids = r.readLine().trim().split(" ");
                shPid = Long.parseLong(pids[0]);
                sleepPid = Long.parseLong(pids[1]);
                daemonPid = Long.parseLong(pids[2]);
                assertThat(ProcessHandle.of(sleepPid)).get().matches(ProcessHandle::isAlive);
                // the shell echoes $! as soon as it forked: the child may not have called setsid() yet (a loaded
                // machine), and until it has it is in the shell's process group and dies with it, as on a real host
                awaitOwnSession(daemonPid);
            }
        }
        try {
            awaitDead(shPid);
            awaitDead(sleepPid);
            assertThat(ProcessHandle.of(daemonPid)).as("a daemon detached with setsid survives, as on a real host")
                    .get().matches(ProcessHandle::isAlive);
        } finally {
            ProcessHandle.of(daemonPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** Waits until {@code pid} leads a session of its own (field 6 of /proc/pid/stat is its pid). */
    private static void awaitOwnSession(long pid) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // state ppid pgrp session ...
            if (Long.parseLong(f[3]) == pid) {
                return;
            }
            assertThat(System.nanoTime()).as("pid %d never left the shell's session", pid).isLessThan(end);
            Thread.sleep(10);
        }
    }

    private static void awaitDead(long pid) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.nanoTime()).as("pid %d still alive", pid).isLessThan(end);
            Thread.sleep(50);
        }
    }

    @Test
    @Order(5)
    void wrongKeysAreRefused() throws Exception {
        SandboxFleet.FleetHost h = fleet.hosts("staging").get(0);
        // a client key the host does not know
        Path other = tmp.resolve("other_key");
        Files.deleteIfExists(other);
        new SandboxKeys(tmp.resolve("otherkeys"), null).generateWithJdk();
        try (SSHClient c = new SSHClient()) {
            c.loadKnownHosts(fleet.knownHosts().toFile());
            c.connect(h.address(), h.sshPort());
            assertThatThrownBy(() -> c.authPublickey(fleet.user(),
                    c.loadKeys(tmp.resolve("otherkeys/id_ed25519").toString())))
                    .isInstanceOf(UserAuthException.class);
        }
        // the right key under another login name
        try (SSHClient c = new SSHClient()) {
            c.loadKnownHosts(fleet.knownHosts().toFile());
            c.connect(h.address(), h.sshPort());
            assertThatThrownBy(() -> c.authPublickey("not-" + fleet.user(), c.loadKeys(fleet.privateKey().toString())))
                    .isInstanceOf(UserAuthException.class);
        }
        // a host presenting another host's key is rejected by the client
        SandboxFleet.FleetHost other1 = fleet.hosts("staging").get(1);
        Path wrongKnownHosts = tmp.resolve("wrong_known_hosts");
        String line = Files.readAllLines(fleet.knownHosts()).stream()
                .filter(l -> l.startsWith("[127.0.0.1]:" + other1.sshPort() + " ")).findFirst().orElseThrow();
        Files.writeString(wrongKnownHosts, line.replace(":" + other1.sshPort() + " ", ":" + h.sshPort() + " ") + "\n");
        try (SSHClient c = new SSHClient()) {
            c.loadKnownHosts(wrongKnownHosts.toFile());
            assertThatThrownBy(() -> c.connect(h.address(), h.sshPort())).isInstanceOf(TransportException.class);
        }
    }

    @Test
    @Order(6)
    void openSshClientReachesTheHostsWithStrictHostKeyChecking() throws Exception {
        Path ssh = RealComponent.require("ssh", "apt-get install openssh-client");
        for (SandboxFleet.FleetHost h : fleet.allHosts()) {
            Files.writeString(h.root().resolve("VERSION"), h.name() + "\n");
            CommandResult r = RUNNER.run(CommandSpec.of(ssh.toString(), "-F", "/dev/null", "-o", "BatchMode=yes",
                    "-o", "UserKnownHostsFile=" + fleet.knownHosts(), "-o", "StrictHostKeyChecking=yes",
                    "-o", "IdentitiesOnly=yes", "-i", fleet.privateKey().toString(), "-p",
                    String.valueOf(h.sshPort()), fleet.user() + "@127.0.0.1", "cat", "VERSION")
                    .timeout(Duration.ofSeconds(30)).build(), StepLogs.noop());
            assertThat(r.exitCode()).as("ssh to %s: %s", h.name(), r.stderrTail()).isZero();
            assertThat(r.stdout()).isEqualTo(h.name() + "\n");
        }
    }

    @Test
    @Order(7)
    void ansiblePingsEveryHostThroughTheGeneratedInventory() throws Exception {
        Path ansible = RealComponent.require("ansible", "pip install ansible-core / apt-get install ansible");
        // without pipelining modules travel by SFTP to absolute temp paths; with it over the exec channel's stdin
        for (String pipelining : List.of("False", "True")) {
            CommandResult r = RUNNER.run(CommandSpec.of(ansible.toString(), "-i", fleet.inventory().toString(), "all",
                            "-m", "ping", "-o", "--limit", pipelining.equals("True") ? "staging" : "all")
                    .env("ANSIBLE_PIPELINING", pipelining)
                    .env("ANSIBLE_HOST_KEY_CHECKING", "True")
                    .env("ANSIBLE_SSH_RETRIES", "3")
                    .env("ANSIBLE_SSH_CONTROL_PATH_DIR", tmp.resolve("cp").toString())
                    .env("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible-local").toString())
                    .timeout(Duration.ofSeconds(90)).build(), StepLogs.noop());
            assertThat(r.exitCode()).as("ansible ping (pipelining %s): %s\n%s", pipelining, r.stdout(),
                    r.stderrTail()).isZero();
            for (SandboxFleet.FleetHost h : fleet.hosts(pipelining.equals("True") ? "staging" : "production")) {
                assertThat(r.stdout()).contains(h.name() + " | SUCCESS");
            }
        }
    }

    // ------------------------------------------------------------------ applications

    static WorkerResult worker(SandboxFleet.FleetHost h, String script, String... args) {
        return workers.run(new SshTarget(h.address(), h.sshPort(), fleet.user(), fleet.keyRef(), fleet.knownHosts()),
                script, List.of(args), Duration.ofSeconds(60), StepLogs.noop());
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int bluePort(SandboxFleet.FleetHost h) {
        return environments.instancePort(h.toHostConfig(), "webapp", "blue");
    }

    static JsonNode version(SandboxFleet.FleetHost h) throws Exception {
        HttpResponse<String> r = get("http://127.0.0.1:" + bluePort(h) + "/version");
        assertThat(r.statusCode()).as("%s /version", h.name()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    @Order(10)
    void firstStartDeployedWebapp100AsBlueOnEveryHostThroughTheWorkers() throws Exception {
        for (SandboxFleet.FleetHost h : fleet.allHosts()) {
            JsonNode v = version(h);
            assertThat(v.path("application").asText()).isEqualTo("webapp");
            assertThat(v.path("version").asText()).isEqualTo("1.0.0");
            assertThat(v.path("instance").asText()).isEqualTo("blue");
            // the host layout of real deployments, made by release-activate.sh
            Path inst = h.root().resolve("apps/webapp/instances/blue");
            assertThat(Files.readSymbolicLink(inst.resolve("current"))).isEqualTo(Path.of("../../releases/1.0.0"));
            assertThat(Files.readString(inst.resolve("instance.env"))).contains("PORT=" + bluePort(h));
            // the worker's copy is named by its content (WorkerScripts)
            assertThat(h.root().resolve(workers.remotePath("release-activate.sh"))).isRegularFile();
        }
        // the artifact store holds every version of both applications
        assertThat(fleet.artifactStore().resolve("webapp-2.0.0-broken.tar.gz")).isRegularFile();
        assertThat(fleet.artifactStore().resolve("api-1.1.0.tar.gz")).isRegularFile();
        JsonNode pool = JSON.readTree(get(fleet.loadBalancer("production").apiUrl() + "/_lb/pools").body())
                .path("pools").path("webapp");
        assertThat(pool.path("active").asText()).isEqualTo("blue");
        assertThat(pool.path("backends")).extracting(b -> b.path("id").asText())
                .containsExactly("production-web-1-blue", "production-web-2-blue", "production-web-3-blue");
    }

    static Map<String, Integer> spread(String lbUrl, int n) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get(lbUrl + "/version");
            assertThat(r.statusCode()).as("request %d through %s: %s", i, lbUrl, r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("version").asText()).isEqualTo("1.0.0");
            counts.merge(r.headers().firstValue(SandboxLoadBalancer.BACKEND_HEADER).orElseThrow(), 1, Integer::sum);
        }
        return counts;
    }

    static boolean healthyInLb(String env, String backend) throws Exception {
        for (JsonNode b : JSON.readTree(get(fleet.loadBalancer(env).apiUrl() + "/_lb/pools").body())
                .path("pools").path("webapp").path("backends")) {
            if (b.path("id").asText().equals(backend)) {
                return b.path("healthy").asBoolean();
            }
        }
        throw new AssertionError("no backend " + backend);
    }

    @Test
    @Order(11)
    void loadBalancerRoutesToHealthyInstancesOnly() throws Exception {
        String lb = fleet.loadBalancer("production").url();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(healthyInLb("production", "production-web-1-blue") && healthyInLb("production", "production-web-2-blue")
                && healthyInLb("production", "production-web-3-blue"))) {
            assertThat(System.nanoTime()).as("all production backends healthy").isLessThan(end);
            Thread.sleep(100);
        }
        assertThat(spread(lb, 9)).containsOnlyKeys("webapp/production-web-1-blue", "webapp/production-web-2-blue",
                "webapp/production-web-3-blue");

        // stop one instance: after the health check notices, it gets no traffic and no request fails
        SandboxFleet.FleetHost h2 = fleet.hosts("production").get(1);
        WorkerResult stop = worker(h2, "service.sh", "--root", "~", "--app", "webapp", "--instance", "blue", "stop");
        assertThat(stop.ok()).as(stop.stdout()).isTrue();
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (healthyInLb("production", "production-web-2-blue")) {
            assertThat(System.nanoTime()).as("LB notices the stopped instance").isLessThan(end);
            Thread.sleep(100);
        }
        assertThat(spread(lb, 8)).containsOnlyKeys("webapp/production-web-1-blue", "webapp/production-web-3-blue");

        // drain another: no traffic to it either
        SandboxFleet.FleetHost h3 = fleet.hosts("production").get(2);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(fleet.loadBalancer("production").apiUrl()
                        + "/_lb/pools/webapp/backends/" + SandboxApps.backendId(h3.name(), "blue") + "/drain"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        assertThat(spread(lb, 4)).containsOnlyKeys("webapp/production-web-1-blue");
        HTTP.send(HttpRequest.newBuilder(URI.create(fleet.loadBalancer("production").apiUrl()
                        + "/_lb/pools/webapp/backends/" + SandboxApps.backendId(h3.name(), "blue") + "/undrain"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(spread(lb, 4)).containsOnlyKeys("webapp/production-web-1-blue", "webapp/production-web-3-blue");
        // production-web-2's instance stays stopped: the restart test checks that this last state survives
    }

    @Test
    @Order(12)
    void observerReportsWhatReallyRuns() throws Exception {
        EnvironmentObserver observer = new EnvironmentObserver(connections, workers);
        ObservedEnvironment prod = observer.probe(environments.get("production"));
        assertThat(prod.name()).isEqualTo("production");
        assertThat(prod.requiresApproval()).isTrue();
        assertThat(prod.loadBalancer().url()).isEqualTo(fleet.loadBalancer("production").url());
        assertThat(prod.hosts()).extracting(ObservedEnvironment.Host::name)
                .containsExactly("production-web-1", "production-web-2", "production-web-3");
        for (ObservedEnvironment.Host h : prod.hosts()) {
            assertThat(h.reachable()).as(h.name() + ": " + h.error()).isTrue();
            assertThat(h.address()).isEqualTo("127.0.0.1");
            assertThat(h.instances()).hasSize(1);
            ObservedEnvironment.Instance i = h.instances().get(0);
            assertThat(i.application()).isEqualTo("webapp");
            assertThat(i.version()).isEqualTo("1.0.0");
            assertThat(i.color()).isEqualTo("blue");
            SandboxFleet.FleetHost fh = fleet.hosts("production").stream().filter(f -> f.name().equals(h.name()))
                    .findFirst().orElseThrow();
            assertThat(h.sshPort()).isEqualTo(fh.sshPort());
            assertThat(i.url()).isEqualTo("http://127.0.0.1:" + bluePort(fh));
            boolean stopped = h.name().equals("production-web-2");
            assertThat(i.healthy()).as(h.name()).isEqualTo(!stopped);
            assertThat(i.state()).isEqualTo(stopped ? "stopped" : "running");
            // and as the load balancer sees it: its backend, active, healthy only where the instance runs, idle
            assertThat(i.loadBalancer()).as(h.name() + " is a backend").isNotNull();
            assertThat(i.loadBalancer().id()).isEqualTo(h.name() + "-blue");
            assertThat(i.loadBalancer().state()).isEqualTo("active");
            assertThat(i.loadBalancer().inFlight()).isZero();
        }
        assertThat(prod.loadBalancer().error()).isNull();
        // a drained backend is reported drained
        fleet.loadBalancer("production").setDrained("webapp", "production-web-1-blue", true);
        try {
            ObservedEnvironment drained = observer.probe(environments.get("production"));
            assertThat(drained.hosts().get(0).instances().get(0).loadBalancer().state()).isEqualTo("drained");
        } finally {
            fleet.loadBalancer("production").setDrained("webapp", "production-web-1-blue", false);
        }
        // the JSON shape clients rely on, as the API serialises observe()'s map
        JsonNode json = JSON.valueToTree(observer.observe(environments.get("production")));
        assertThat(json.path("name").asText()).isEqualTo("production");
        assertThat(json.path("requiresApproval").asBoolean()).isTrue();
        assertThat(json.path("loadBalancer").has("url")).isTrue();
        JsonNode host = json.path("hosts").get(0);
        assertThat(host.has("name") && host.has("address") && host.has("sshPort") && host.has("reachable")).isTrue();
        JsonNode inst = host.path("instances").get(0);
        assertThat(inst.has("application") && inst.has("version") && inst.has("healthy") && inst.has("url")
                && inst.has("color")).isTrue();

        // inventory.sh refuses bad input clearly
        WorkerResult bad = worker(fleet.hosts("staging").get(0), "inventory.sh", "--root", "relative/../x");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.error()).contains("invalid --root");

        // a host nobody listens on is reported unreachable, the others are still probed
        SandboxFleet.FleetHost real = fleet.hosts("staging").get(0);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Environment withGhost = environments.get("staging").withHosts(List.of(real.toHostConfig(),
                new HostConfig("ghost", "127.0.0.1", closedPort, 9000)));
        ObservedEnvironment staging = observer.probe(withGhost);
        assertThat(staging.hosts().get(0).reachable()).isTrue();
        assertThat(staging.hosts().get(0).instances()).extracting(ObservedEnvironment.Instance::healthy)
                .containsExactly(true);
        assertThat(staging.hosts().get(1).reachable()).isFalse();
        assertThat(staging.hosts().get(1).error()).isNotBlank();

        // a load balancer admin API that does not answer: said once, the hosts are still reported
        Environment st = environments.get("staging");
        Environment lbDown = new Environment(st.name(), st.requiresApproval(), st.approverGroup(), st.parallelism(),
                st.approvalReminder(), st.approvalDeadline(), st.ssh(), List.of(real.toHostConfig()),
                new Environment.LoadBalancer(st.loadBalancer().url(), "http://127.0.0.1:" + closedPort),
                st.ansibleInventory(), st.terraformRoot(), st.databases(), st.artifactStore(), st.appRoot());
        ObservedEnvironment noLb = observer.probe(lbDown);
        assertThat(noLb.loadBalancer().error()).contains("cannot read the load balancer's pools");
        assertThat(noLb.hosts().get(0).reachable()).isTrue();
        assertThat(noLb.hosts().get(0).instances().get(0).loadBalancer()).isNull();
    }

    @Test
    @Order(13)
    void hostsCanBeAddedAndRemoved() throws Exception {
        SandboxFleet.FleetHost added = fleet.addHost("staging");
        try {
            assertThat(added.name()).isEqualTo("staging-web-3");
            assertThat(fleet.allHosts()).extracting(SandboxFleet.FleetHost::portBase).doesNotHaveDuplicates();
            assertThat(environments.get("staging").hosts()).extracting(HostConfig::name)
                    .containsExactly("staging-web-1", "staging-web-2", "staging-web-3");
            assertThat(Files.readString(fleet.inventory())).contains("staging-web-3:",
                    "ansible_port: " + added.sshPort());
            try (SSHClient c = connect(added)) { // known_hosts was rewritten with its key
                assertThat(exec(c, "pwd").out().strip()).isEqualTo(added.root().toString());
            }
        } finally {
            fleet.removeHost("staging", added.name());
        }
        assertThat(environments.get("staging").hosts()).hasSize(2);
        assertThat(Files.readString(fleet.inventory())).doesNotContain("staging-web-3");
        assertThatThrownBy(() -> connect(added)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> fleet.removeHost("staging", "nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no host nope");
        assertThatThrownBy(() -> fleet.addHost("nope")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Order(20)
    void restartKeepsHostKeysPortsAndTheDeployedState() throws Exception {
        List<String> knownHostsBefore = Files.readAllLines(fleet.knownHosts());
        List<SandboxFleet.FleetHost> before = fleet.allHosts();
        String inventoryBefore = Files.readString(fleet.inventory());
        String lbBefore = fleet.loadBalancer("staging").url();
        fleet.stop();
        assertThatThrownBy(() -> connect(before.get(0))).isInstanceOf(IOException.class);
        // the application processes were stopped with the fleet
        for (SandboxFleet.FleetHost h : before) {
            assertThatThrownBy(() -> get("http://127.0.0.1:" + bluePort(h) + "/version"))
                    .as(h.name()).isInstanceOf(IOException.class);
        }

        fleet = new SandboxFleet(props, tmp.resolve("sandbox"), RUNNER, environments, workers);
        fleet.start();
        assertThat(fleet.applicationsError()).isNull();
        assertThat(Files.readAllLines(fleet.knownHosts())).isEqualTo(knownHostsBefore);
        assertThat(fleet.allHosts()).isEqualTo(before);
        assertThat(Files.readString(fleet.inventory())).isEqualTo(inventoryBefore);
        assertThat(fleet.loadBalancer("staging").url()).isEqualTo(lbBefore);
        try (SSHClient c = connect(before.get(0))) {
            assertThat(exec(c, "cat VERSION").out()).isEqualTo(before.get(0).name() + "\n");
        }
        // what ran before runs again (same version); the instance stopped on purpose stays stopped
        for (SandboxFleet.FleetHost h : before) {
            if (h.name().equals("production-web-2")) {
                assertThatThrownBy(() -> get("http://127.0.0.1:" + bluePort(h) + "/version"))
                        .isInstanceOf(IOException.class);
            } else {
                assertThat(version(h).path("version").asText()).isEqualTo("1.0.0");
            }
        }
        // and the load balancer kept its pools
        assertThat(JSON.readTree(get(fleet.loadBalancer("production").apiUrl() + "/_lb/pools").body())
                .path("pools").path("webapp").path("backends")).hasSize(3);
    }
}
