package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.assertj.core.groups.Tuple;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.WorkerScripts;
import io.opsflow.testsupport.RealComponent;

/**
 * Application ports someone else holds when the sandbox starts: a host with nothing deployed moves to free ports; a
 * deployed instance whose port is taken refuses the start, naming the port and the holder, and nothing starts; and
 * instances a killed opsflow left running are adopted by the next start of the same var dir, not restarted (unless
 * they do not serve the release they should).
 */
class SandboxPortsIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final CommandRunner RUNNER = new CommandRunner();
    static final long ME = ProcessHandle.current().pid();

    @TempDir
    Path tmp;
    Path dir;
    SandboxProperties props;
    Environments environments;
    WorkerScripts workers;
    final List<SandboxFleet> fleets = new ArrayList<>();

    @BeforeAll
    static void tools() {
        RealComponent.require("python3", "apt-get install python3", "/usr/bin/python3");
        RealComponent.require("curl", "apt-get install curl");
    }

    /** A small fleet (one host per environment) on a random port range. */
    void configure(int portRangeStart) {
        dir = tmp.resolve("sandbox");
        props = new SandboxProperties();
        props.setEnabled(true);
        props.setPortRangeStart(portRangeStart);
        props.setHealthCheckInterval(Duration.ofMillis(300));
        Map<String, SandboxProperties.EnvironmentSpec> envs = new LinkedHashMap<>();
        envs.put("staging", new SandboxProperties.EnvironmentSpec(1, 0));
        envs.put("production", new SandboxProperties.EnvironmentSpec(1, 0));
        props.setEnvironments(envs);
        environments = new Environments(new EnvironmentsProperties());
        workers = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), Path.of("workers"),
                ".opsflow/workers");
    }

    /** Below the ephemeral port range (see SandboxApp.PORT_RANGE_START): a restart must find its ports free. */
    static int randomRangeStart() {
        return 10000 + 100 * ThreadLocalRandom.current().nextInt(0, 180);
    }

    SandboxFleet newFleet() {
        SandboxFleet f = new SandboxFleet(props, dir, RUNNER, environments, workers);
        fleets.add(f);
        return f;
    }

    SandboxFleet startedFleet() {
        SandboxFleet f = newFleet();
        f.start();
        assertThat(f.applicationsError()).isNull();
        return f;
    }

    /** Every process this test started ends with it: the fleets stop their instances; anything left is killed. */
    @AfterEach
    void stopEverything() throws IOException {
        for (SandboxFleet f : fleets) {
            f.stop();
        }
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        String root = dir.toRealPath().toString();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path pidFile : files.filter(p -> p.endsWith(Path.of("run", "app.pid"))).toList()) {
                String pid = Files.readString(pidFile).strip();
                if (!pid.matches("[1-9][0-9]{0,9}")) {
                    continue;
                }
                ProcessHandle.of(Long.parseLong(pid))
                        .filter(p -> p.info().commandLine().orElse("").contains(root))
                        .ifPresent(p -> {
                            p.destroyForcibly();
                            p.onExit().join();
                        });
            }
        }
    }

    // ------------------------------------------------------------------ what the tests look at

    SandboxFleet.FleetHost host(SandboxFleet fleet, String name) {
        return fleet.allHosts().stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
    }

    int bluePort(SandboxFleet.FleetHost h) {
        return environments.instancePort(h.toHostConfig(), "webapp", "blue");
    }

    Path blueDir(SandboxFleet.FleetHost h) {
        return h.root().resolve("apps/webapp/instances/blue");
    }

    long bluePid(SandboxFleet.FleetHost h) throws IOException {
        return Long.parseLong(Files.readString(blueDir(h).resolve("run/app.pid")).strip());
    }

    /** How often the instance was started: service.sh writes one "starting" line to app.log per start. */
    long starts(SandboxFleet.FleetHost h) throws IOException {
        try (Stream<String> lines = Files.lines(blueDir(h).resolve("log/app.log"))) {
            return lines.filter(l -> l.contains(" starting webapp/blue ")).count();
        }
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode backend(SandboxFleet fleet, String env, String id) throws Exception {
        for (JsonNode b : JSON.readTree(get(fleet.loadBalancer(env).apiUrl() + "/_lb/pools").body()).path("pools")
                .path("webapp").path("backends")) {
            if (b.path("id").asText().equals(id)) {
                return b;
            }
        }
        throw new AssertionError("no backend " + id + " in the " + env + " load balancer");
    }

    /** Waits until the load balancer's health check sees the backend healthy, then asks /version through it. */
    static HttpResponse<String> versionThroughLoadBalancer(SandboxFleet fleet, String env, String id)
            throws Exception {
        await(() -> {
            try {
                return backend(fleet, env, id).path("healthy").asBoolean();
            } catch (Exception e) {
                return false;
            }
        }, "backend " + id + " healthy in the " + env + " load balancer");
        return get(fleet.loadBalancer(env).url() + "/version");
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Whether this JVM listens on the port (the fleet's SSH servers and load balancers run in it). */
    static boolean listensHere(int port) {
        return SandboxPorts.holder(port).map(h -> h.pid() == ME).orElse(false);
    }

    /** Holds 127.0.0.1:port with a plain server socket, as any other program could; null when it cannot. */
    static ServerSocket hold(int port) {
        try {
            return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ the stories

    @Test
    void aHostWithNothingDeployedMovesAwayFromAPortSomeoneHoldsAndServesThroughTheLoadBalancer() throws Exception {
        // production-web-1 is host index 1: its webapp blue port would be start + 100, and someone holds it
        int start;
        ServerSocket someoneElse;
        do {
            start = randomRangeStart();
            someoneElse = hold(start + 100);
        } while (someoneElse == null);
        configure(start);
        try (ServerSocket held = someoneElse) {
            SandboxFleet fleet = startedFleet();

            SandboxFleet.FleetHost moved = host(fleet, "production-web-1");
            assertThat(moved.portBase()).as("a block of the range after the taken one")
                    .isGreaterThan(start + 100).matches(b -> (b - props.getPortRangeStart()) % 100 == 0);
            int port = bluePort(moved);
            assertThat(port).isEqualTo(moved.portBase());
            // everything that computes instance ports uses the moved base: registry, inventory, load balancer
            assertThat(environments.get("production").hosts()).extracting(HostConfig::portBase)
                    .containsExactly(moved.portBase());
            assertThat(Files.readString(fleet.inventory())).contains("port_base: " + moved.portBase());
            assertThat(backend(fleet, "production", "production-web-1-blue").path("url").asText())
                    .isEqualTo("http://127.0.0.1:" + port);
            assertThat(Files.readString(blueDir(moved).resolve("instance.env"))).contains("PORT=" + port);
            HttpResponse<String> r = versionThroughLoadBalancer(fleet, "production", "production-web-1-blue");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("version").asText()).isEqualTo("1.0.0");
            assertThat(r.headers().firstValue(SandboxLoadBalancer.BACKEND_HEADER))
                    .hasValue("webapp/production-web-1-blue");
            // the port's holder was left alone
            assertThat(held.isClosed()).isFalse();
            assertThat(SandboxPorts.free(start + 100)).isFalse();

            // the new base is kept in state.json: after a restart, with the port free again, the host stays moved
            fleet.stop();
            held.close();
            JsonNode state = JSON.readTree(fleet.stateFile().toFile());
            assertThat(state.path("environments").path("production").path("hosts").get(0).path("portBase").asInt())
                    .isEqualTo(moved.portBase());
            SandboxFleet again = startedFleet();
            assertThat(host(again, "production-web-1").portBase()).isEqualTo(moved.portBase());
            assertThat(JSON.readTree(versionThroughLoadBalancer(again, "production", "production-web-1-blue").body())
                    .path("version").asText()).isEqualTo("1.0.0");
        }
    }

    @Test
    void aDeployedInstanceWhosePortSomeoneHoldsRefusesTheStartNamingPortAndHolderAndStartsNothing() throws Exception {
        configure(randomRangeStart());
        SandboxFleet first = startedFleet();
        SandboxFleet.FleetHost staging = host(first, "staging-web-1");
        SandboxFleet.FleetHost production = host(first, "production-web-1");
        int port = bluePort(staging);
        int lbPort = first.loadBalancer("staging").port();
        first.stop();
        String stateBefore = Files.readString(first.stateFile());
        long stagingStarts = starts(staging);
        long productionStarts = starts(production);

        ServerSocket someoneElse = hold(port);
        assertThat(someoneElse).as("port %d, free after the clean stop, held by the test", port).isNotNull();
        try (ServerSocket held = someoneElse) {
            SandboxFleet refused = newFleet();
            assertThatThrownBy(refused::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port + " (staging-web-1 webapp blue) is held by pid " + ME + " (")
                    .hasMessageContaining("stop it and start again")
                    .hasMessageContaining("opsflow.sandbox.port-range-start");
            // nothing half-started: no SSH host, no load balancer, no instance, state untouched
            assertThat(refused.isRunning()).isFalse();
            assertThat(refused.host("staging-web-1")).isEmpty();
            assertThat(listensHere(staging.sshPort())).isFalse();
            assertThat(listensHere(production.sshPort())).isFalse();
            assertThat(listensHere(lbPort)).isFalse();
            assertThat(starts(staging)).isEqualTo(stagingStarts);
            assertThat(starts(production)).isEqualTo(productionStarts);
            assertThat(Files.readString(first.stateFile())).isEqualTo(stateBefore);
        }

        // once the port is free again the same var dir starts and brings back what ran
        SandboxFleet again = startedFleet();
        for (String name : List.of("staging-web-1", "production-web-1")) {
            SandboxFleet.FleetHost h = host(again, name);
            assertThat(JSON.readTree(get("http://127.0.0.1:" + bluePort(h) + "/version").body()).path("version")
                    .asText()).as(name).isEqualTo("1.0.0");
        }
    }

    @Test
    void instancesAKilledOpsflowLeftRunningAreAdoptedByTheNextStartNotRestarted() throws Exception {
        configure(randomRangeStart());
        SandboxFleet killed = startedFleet();
        Map<String, Long> pids = new LinkedHashMap<>();
        Map<String, Long> startsBefore = new LinkedHashMap<>();
        for (SandboxFleet.FleetHost h : killed.allHosts()) {
            pids.put(h.name(), bluePid(h));
            startsBefore.put(h.name(), starts(h));
        }
        killed.haltAsIfKilled();
        // as after kill -9: the engine side is gone, the instances still serve
        for (SandboxFleet.FleetHost h : killed.allHosts()) {
            assertThat(ProcessHandle.of(pids.get(h.name()))).get().matches(ProcessHandle::isAlive);
            assertThat(get("http://127.0.0.1:" + bluePort(h) + "/health").statusCode()).isEqualTo(200);
        }

        SandboxFleet next = startedFleet();

        assertThat(next.adoptedAtStart()).extracting(SandboxFleet.AdoptedInstance::host,
                        SandboxFleet.AdoptedInstance::pid, SandboxFleet.AdoptedInstance::version)
                .containsExactlyInAnyOrder(
                        Tuple.tuple("staging-web-1", pids.get("staging-web-1"), "1.0.0"),
                        Tuple.tuple("production-web-1", pids.get("production-web-1"), "1.0.0"));
        for (SandboxFleet.FleetHost h : next.allHosts()) {
            assertThat(bluePid(h)).as("%s: the same process", h.name()).isEqualTo(pids.get(h.name()));
            assertThat(starts(h)).as("%s: not started again", h.name()).isEqualTo(startsBefore.get(h.name()));
            String env = h.environment();
            HttpResponse<String> r = versionThroughLoadBalancer(next, env, h.name() + "-blue");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("version").asText()).isEqualTo("1.0.0");
        }

        // a clean stop of the adopting fleet stops the adopted instances like any other
        next.stop();
        for (long pid : pids.values()) { // service.sh stop waited for its end; the OS may take a moment to reap it
            await(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "pid " + pid + " to be gone");
        }
    }

    @Test
    void anInstanceLeftRunningOnAnotherReleaseThanItsCurrentLinkIsRestartedNotAdopted() throws Exception {
        configure(randomRangeStart());
        SandboxFleet killed = startedFleet();
        SandboxFleet.FleetHost staging = host(killed, "staging-web-1");
        long oldPid = bluePid(staging);
        killed.haltAsIfKilled();
        // killed in the middle of a release: `current` already points to 1.0.1, the 1.0.0 process still runs
        Path releases = staging.root().resolve("apps/webapp/releases");
        copyTree(releases.resolve("1.0.0"), releases.resolve("1.0.1"));
        Files.writeString(releases.resolve("1.0.1/VERSION"), "1.0.1\n");
        Path link = blueDir(staging).resolve("current");
        Files.delete(link);
        Files.createSymbolicLink(link, Path.of("../../releases/1.0.1"));

        SandboxFleet next = startedFleet();

        assertThat(next.adoptedAtStart()).extracting(SandboxFleet.AdoptedInstance::host)
                .containsExactly("production-web-1");
        assertThat(bluePid(staging)).isNotEqualTo(oldPid);
        await(() -> ProcessHandle.of(oldPid).map(p -> !p.isAlive()).orElse(true), "the 1.0.0 process to be gone");
        HttpResponse<String> r = versionThroughLoadBalancer(next, "staging", "staging-web-1-blue");
        assertThat(JSON.readTree(r.body()).path("version").asText()).isEqualTo("1.0.1");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
