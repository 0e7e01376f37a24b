package io.opsflow.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.opsflow.sandbox.artifacts.ArtifactStore;
import io.opsflow.testsupport.RealComponent;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the workers/ scripts locally, assembled as a host gets them ({@link io.opsflow.step.ssh.WorkerAssembly}) and
 * exactly as an SSH step runs them there (argv, HOME = the host root, an allow-listed environment), against the
 * artifacts of the sandbox applications, real processes, the real PostgreSQL (127.0.0.1:5432) and MariaDB
 * (127.0.0.1:3306). The load balancer scripts are exercised by the sandbox fleet tests; here their argument
 * validation and the drain's wait for in-flight requests, against a sandbox load balancer started by the test.
 */
class WorkersIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    static Path storeDir;
    static ArtifactStore store;

    @TempDir
    Path root;
    @TempDir
    Path tmp;
    final Set<Long> pids = ConcurrentHashMap.newKeySet();
    final List<Runnable> cleanups = new ArrayList<>();

    record Result(int exit, JsonNode json, String stdout, String stderr) {
        boolean ok() {
            return json.path("ok").asBoolean(false);
        }

        @Override
        public String toString() {
            return "exit " + exit + " stdout " + stdout + " stderr:\n" + stderr;
        }
    }

    @BeforeAll
    static void buildArtifacts() {
        ArtifactStore.build(storeDir);
        store = new ArtifactStore(storeDir);
        RealComponent.require("python3", "apt-get install python3");
        RealComponent.require("curl", "apt-get install curl");
    }

    @AfterEach
    void killEverythingWeStarted() throws IOException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.getFileName().toString().equals("app.pid")).forEach(p -> {
                    try {
                        pids.add(Long.parseLong(Files.readString(p).strip()));
                    } catch (IOException | NumberFormatException e) {
                        // nothing to kill
                    }
                });
            }
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ph -> {
                ph.descendants().forEach(ProcessHandle::destroyForcibly);
                ph.destroyForcibly();
            });
        }
        cleanups.forEach(Runnable::run);
    }

    // ---------------------------------------------------------------- releases and services

    @Test
    void activateUpgradeNoOpAndReportFailedHealthWithThePreviousVersion() throws Exception {
        int port = freePort();

        Result first = activate("webapp", "blue", "1.0.0", port);
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.json().path("previousVersion").isNull()).isTrue();
        assertThat(first.json().path("version").asText()).isEqualTo("1.0.0");
        assertThat(first.json().path("healthy").asBoolean()).isTrue();
        assertThat(first.json().path("changed").asBoolean()).isTrue();
        assertThat(first.json().path("installed").asBoolean()).isTrue();
        assertThat(first.json().path("sha256").asText()).isEqualTo(store.sha256("webapp", "1.0.0"));
        assertThat(version(port)).isEqualTo(Map.of("application", "webapp", "version", "1.0.0", "instance", "blue"));
        assertThat(get(port, "/").body()).startsWith("webapp 1.0.0 on blue");
        Path inst = root.resolve("apps/webapp/instances/blue");
        assertThat(Files.readSymbolicLink(inst.resolve("current"))).isEqualTo(Path.of("../../releases/1.0.0"));
        assertThat(Files.readString(inst.resolve("instance.env"))).contains("PORT=" + port + "\n", "INSTANCE=blue");
        long pid1 = first.json().path("pid").asLong();
        assertThat(Files.readString(inst.resolve("run/app.pid")).strip()).isEqualTo(String.valueOf(pid1));
        assertThat(alive(pid1)).isTrue();
        // the worker held a shared flock on its own file (lib/common.sh, fd 8); the application it left running
        // does not hold it, so an old version of the worker can be removed from the host while the app runs
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid1 + "/fd"))) {
            assertThat(fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            })).noneMatch(target -> target.endsWith("/release-activate.sh"));
        }
        assertThat(Files.readString(inst.resolve("log/app.log"))).contains("listening on 127.0.0.1:" + port);

        Result again = activate("webapp", "blue", "1.0.0", port);
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.json().path("changed").asBoolean()).as("same version: no-op").isFalse();
        assertThat(again.json().path("healthy").asBoolean()).as("no-op still verifies health").isTrue();
        assertThat(again.json().path("pid").asLong()).as("not restarted").isEqualTo(pid1);
        assertThat(again.json().path("previousVersion").asText()).isEqualTo("1.0.0");

        Result upgrade = activate("webapp", "blue", "1.1.0", port);
        assertThat(upgrade.exit()).as(upgrade.toString()).isZero();
        assertThat(upgrade.json().path("previousVersion").asText()).isEqualTo("1.0.0");
        assertThat(upgrade.json().path("version").asText()).isEqualTo("1.1.0");
        assertThat(version(port).get("version")).isEqualTo("1.1.0");
        assertThat(alive(pid1)).as("old process stopped").isFalse();
        assertThat(root.resolve("apps/webapp/releases/1.1.0/migrations/002_items_add_price.sql")).isRegularFile();

        long start = System.nanoTime();
        Result broken = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance", "blue",
                "--version", "2.0.0-broken", "--artifact", store.artifact("webapp", "2.0.0-broken").toString(),
                "--sha256", store.sha256("webapp", "2.0.0-broken"), "--port", String.valueOf(port),
                "--health-timeout", "2");
        assertThat(broken.exit()).as(broken.toString()).isEqualTo(1);
        assertThat(broken.ok()).isFalse();
        assertThat(broken.json().path("previousVersion").asText()).isEqualTo("1.1.0");
        assertThat(broken.json().path("version").asText()).isEqualTo("2.0.0-broken");
        assertThat(broken.json().path("healthy").asBoolean()).isFalse();
        assertThat(broken.json().path("error").asText()).contains("did not become healthy", "503");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(get(port, "/health").statusCode()).isEqualTo(503);
        assertThat(Files.readSymbolicLink(inst.resolve("current")))
                .as("the script does not roll back by itself").isEqualTo(Path.of("../../releases/2.0.0-broken"));

        Result rollback = activate("webapp", "blue", "1.1.0", port);
        assertThat(rollback.exit()).as(rollback.toString()).isZero();
        assertThat(rollback.json().path("previousVersion").asText()).isEqualTo("2.0.0-broken");
        assertThat(rollback.json().path("installed").asBoolean()).as("1.1.0 was already installed").isFalse();
        assertThat(version(port).get("version")).isEqualTo("1.1.0");
    }

    @Test
    void activatesFromAnHttpArtifactStoreAndRejectsAChecksumMismatchWithoutChangingAnything() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/artifacts/", exchange -> {
            Path file = storeDir.resolve(exchange.getRequestURI().getPath().substring("/artifacts/".length()));
            if (Files.isRegularFile(file)) {
                byte[] body = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
            exchange.close();
        });
        server.start();
        cleanups.add(() -> server.stop(0));
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/artifacts/";
        int port = freePort();

        Result ok = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance", "green",
                "--version", "1.0.0", "--artifact", base + "webapp-1.0.0.tar.gz", "--sha256", "auto",
                "--port", String.valueOf(port));
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(version(port).get("instance")).isEqualTo("green");
        Map<String, String> before = tree(root);

        Result mismatch = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.1.0", "--artifact", base + "webapp-1.1.0.tar.gz",
                "--sha256", store.sha256("webapp", "1.0.0"), "--port", String.valueOf(port));
        assertThat(mismatch.exit()).as(mismatch.toString()).isEqualTo(1);
        assertThat(mismatch.json().path("error").asText()).contains("checksum mismatch");
        assertThat(root.resolve("apps/webapp/releases/1.1.0")).doesNotExist();
        assertThat(tree(root)).as("nothing changed").isEqualTo(before);
        assertThat(version(port).get("version")).isEqualTo("1.0.0");

        Result missing = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.2.0", "--artifact", base + "webapp-9.9.9.tar.gz", "--port",
                String.valueOf(port));
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.json().path("error").asText()).contains("could not download");
        assertThat(tree(root)).isEqualTo(before);

        Result wrongVersion = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.2.0", "--artifact", store.artifact("webapp", "1.1.0").toString(), "--port",
                String.valueOf(port));
        assertThat(wrongVersion.exit()).isEqualTo(1);
        assertThat(wrongVersion.json().path("error").asText()).contains("contains version '1.1.0', not 1.2.0");
        assertThat(tree(root)).isEqualTo(before);

        // --check: the approver's evidence is this dry run; it verifies what the run would fetch and changes nothing
        Result check = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.1.0", "--artifact", base + "webapp-1.1.0.tar.gz", "--sha256", "auto",
                "--port", String.valueOf(port), "--check");
        assertThat(check.exit()).as(check.toString()).isZero();
        assertThat(check.json().path("check").asBoolean()).isTrue();
        assertThat(check.json().path("previousVersion").asText()).isEqualTo("1.0.0");
        assertThat(check.json().path("install").asBoolean()).isTrue();
        assertThat(check.json().path("switch").asBoolean()).isTrue();
        assertThat(check.json().path("restart").asBoolean()).isTrue();
        assertThat(check.json().path("sha256").asText()).isEqualTo(store.sha256("webapp", "1.1.0"));
        assertThat(tree(root)).as("a dry run changes nothing").isEqualTo(before);
        assertThat(version(port).get("version")).isEqualTo("1.0.0");

        Result same = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.0.0", "--artifact", base + "webapp-1.0.0.tar.gz", "--sha256", "auto",
                "--port", String.valueOf(port), "--check");
        assertThat(same.exit()).as(same.toString()).isZero();
        assertThat(same.json().path("install").asBoolean()).isFalse();
        assertThat(same.json().path("switch").asBoolean()).isFalse();
        assertThat(same.json().path("restart").asBoolean()).as("already runs it: nothing to do").isFalse();

        Result checkMismatch = run("release-activate.sh", "--root", root.toString(), "--app", "webapp", "--instance",
                "green", "--version", "1.1.0", "--artifact", base + "webapp-1.1.0.tar.gz",
                "--sha256", store.sha256("webapp", "1.0.0"), "--port", String.valueOf(port), "--check");
        assertThat(checkMismatch.exit()).as("the check fails as the release would").isEqualTo(1);
        assertThat(checkMismatch.json().path("error").asText()).contains("checksum mismatch");
        assertThat(tree(root)).isEqualTo(before);
    }

    @Test
    void serviceStopStartRestartStatusAndEnsure() throws Exception {
        int port = freePort();
        assertThat(activate("webapp", "blue", "1.2.0", port).exit()).isZero();

        Result status = service("blue", "status");
        assertThat(status.exit()).isZero();
        assertThat(status.json().path("state").asText()).isEqualTo("running");
        assertThat(status.json().path("healthy").asBoolean()).isTrue();
        assertThat(status.json().path("version").asText()).isEqualTo("1.2.0");
        assertThat(status.json().path("port").asInt()).isEqualTo(port);
        long pid = status.json().path("pid").asLong();

        Result stop = service("blue", "stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.json().path("state").asText()).isEqualTo("stopped");
        assertThat(stop.json().path("pid").isNull()).isTrue();
        assertThat(stop.json().path("changed").asBoolean()).isTrue();
        assertThat(alive(pid)).isFalse();
        assertThat(listening(port)).isFalse();
        assertThat(root.resolve("apps/webapp/instances/blue/run/app.pid")).doesNotExist();

        Result stopAgain = service("blue", "stop");
        assertThat(stopAgain.exit()).as("stopping a stopped service is fine").isZero();
        assertThat(stopAgain.json().path("changed").asBoolean()).isFalse();

        Result ensureStopped = service("blue", "ensure");
        assertThat(ensureStopped.exit()).isZero();
        assertThat(ensureStopped.json().path("state").asText()).as("desired state is stopped").isEqualTo("stopped");

        Result start = service("blue", "start");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.json().path("state").asText()).isEqualTo("running");
        assertThat(start.json().path("healthy").asBoolean()).isTrue();
        long started = start.json().path("pid").asLong();
        assertThat(version(port).get("version")).isEqualTo("1.2.0");

        Result startAgain = service("blue", "start");
        assertThat(startAgain.json().path("pid").asLong()).as("already running: untouched").isEqualTo(started);
        assertThat(startAgain.json().path("changed").asBoolean()).isFalse();

        Result restart = service("blue", "restart");
        assertThat(restart.exit()).as(restart.toString()).isZero();
        long restarted = restart.json().path("pid").asLong();
        assertThat(restarted).isNotEqualTo(started);
        assertThat(alive(started)).isFalse();
        assertThat(alive(restarted)).isTrue();

        // a crashed process: ensure brings it back because its desired state is running
        ProcessHandle.of(restarted).orElseThrow().destroyForcibly();
        awaitDeath(restarted);
        Result crashed = service("blue", "status");
        assertThat(crashed.json().path("state").asText()).isEqualTo("stopped");
        assertThat(crashed.json().path("desiredState").asText()).isEqualTo("running");
        Result ensure = service("blue", "ensure");
        assertThat(ensure.exit()).as(ensure.toString()).isZero();
        assertThat(ensure.json().path("state").asText()).isEqualTo("running");
        assertThat(version(port).get("version")).isEqualTo("1.2.0");

        Result notInstalled = service("nothing-here", "start");
        assertThat(notInstalled.exit()).isEqualTo(1);
        assertThat(notInstalled.json().path("error").asText()).contains("not installed");
        assertThat(root.resolve("apps/webapp/instances/nothing-here")).doesNotExist();
    }

    @Test
    void portInUseIsAClearFailure() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            Result r = activate("webapp", "blue", "1.0.0", taken.getLocalPort());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.json().path("error").asText()).contains("already in use");
        }
    }

    @Test
    void releaseRemoveCompensatesADeploymentAndIsIdempotent() throws Exception {
        int apiPort = freePort();
        Result api = run("release-activate.sh", "--root", root.toString(), "--app", "api", "--instance", "blue",
                "--version", "1.0.0", "--artifact", store.artifact("api", "1.0.0").toString(), "--port",
                String.valueOf(apiPort));
        assertThat(api.exit()).as(api.toString()).isZero();
        assertThat(version(apiPort)).containsEntry("application", "api");
        long pid = api.json().path("pid").asLong();
        Map<String, String> before = tree(root);

        Result refused = run("release-remove.sh", "--root", root.toString(), "--app", "api", "--instance", "blue",
                "--version", "1.1.0");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.json().path("error").asText()).contains("runs 1.0.0, not 1.1.0");
        assertThat(tree(root)).isEqualTo(before);
        assertThat(alive(pid)).isTrue();

        Result removed = run("release-remove.sh", "--root", root.toString(), "--app", "api", "--instance", "blue",
                "--version", "1.0.0");
        assertThat(removed.exit()).as(removed.toString()).isZero();
        assertThat(removed.json().path("instanceRemoved").asBoolean()).isTrue();
        assertThat(removed.json().path("releaseRemoved").asBoolean()).isTrue();
        assertThat(removed.json().path("stoppedPid").asLong()).isEqualTo(pid);
        assertThat(alive(pid)).isFalse();
        assertThat(root.resolve("apps/api")).doesNotExist();

        Result again = run("release-remove.sh", "--root", root.toString(), "--app", "api", "--instance", "blue",
                "--version", "1.0.0");
        assertThat(again.exit()).isZero();
        assertThat(again.json().path("instanceRemoved").asBoolean()).isFalse();

        // a release shared by two instances stays while one still uses it
        int blue = freePort();
        int green = freePort();
        assertThat(activate("webapp", "blue", "1.0.0", blue).exit()).isZero();
        assertThat(activate("webapp", "green", "1.0.0", green).exit()).isZero();
        Result shared = run("release-remove.sh", "--root", root.toString(), "--app", "webapp", "--instance", "green",
                "--version", "1.0.0");
        assertThat(shared.exit()).isZero();
        assertThat(shared.json().path("releaseRemoved").asBoolean()).isFalse();
        assertThat(shared.json().path("releaseInUseBy").toString()).isEqualTo("[\"blue\"]");
        assertThat(root.resolve("apps/webapp/releases/1.0.0")).isDirectory();
        assertThat(version(blue).get("version")).isEqualTo("1.0.0");
        assertThat(listening(green)).isFalse();
    }

    @Test
    void healthProbe() throws Exception {
        int port = freePort();
        assertThat(activate("webapp", "blue", "1.1.0", port).exit()).isZero();

        Result ok = run("health-probe.sh", "--url", "http://127.0.0.1:" + port + "/version", "--expect-body",
                "\"version\":\"1.1.0\"");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.json().path("status").asInt()).isEqualTo(200);
        assertThat(ok.json().path("body").asText()).contains("\"application\":\"webapp\"");

        Result wrongBody = run("health-probe.sh", "--url", "http://127.0.0.1:" + port + "/version", "--expect-body",
                "\"version\":\"1.2.0\"");
        assertThat(wrongBody.exit()).isEqualTo(1);
        assertThat(wrongBody.json().path("error").asText()).contains("body does not contain");

        int closed = freePort();
        Result down = run("health-probe.sh", "--url", "http://127.0.0.1:" + closed + "/health", "--retries", "3",
                "--interval", "0.1", "--timeout", "1");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.json().path("attempts").asInt()).isEqualTo(3);
        assertThat(down.json().path("status").isNull()).isTrue();

        Result status404 = run("health-probe.sh", "--url", "http://127.0.0.1:" + port + "/nope", "--expect-status",
                "404");
        assertThat(status404.exit()).isZero();
    }

    // ---------------------------------------------------------------- load balancer drain

    /**
     * A drain takes the backend out of rotation at once and, with --wait-idle, returns only when the request it was
     * serving has been answered; a request that outlives the wait is reported (idle false), not hidden.
     */
    @Test
    void drainWaitsUntilNoRequestIsInFlight() throws Exception {
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        backend.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/slow")) {
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] b = "done".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        backend.start();
        cleanups.add(() -> {
            gate.countDown();
            backend.stop(0);
        });
        io.opsflow.sandbox.SandboxLoadBalancer lb = loadBalancer("drain-test");
        String api = lb.apiUrl();
        String url = "http://127.0.0.1:" + backend.getAddress().getPort();
        Result added = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--url", url,
                "--wait-healthy", "10", "add");
        assertThat(added.exit()).as(added.toString()).isZero();
        assertThat(added.json().path("inFlight").asInt(-1)).isZero();

        Result wrongAction = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--wait-idle", "5",
                "undrain");
        assertThat(wrongAction.exit()).as("--wait-idle belongs to drain").isEqualTo(2);
        assertThat(wrongAction.json().path("error").asText()).contains("--wait-idle is only used by drain");

        CompletableFuture<HttpResponse<String>> slow = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(lb.url()
                + "/slow")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lb.poolsJson().path("pools").path("webapp").path("backends").path(0).path("inFlight").asInt() != 1) {
            assertThat(System.nanoTime()).as("the slow request reaches h1").isLessThan(deadline);
            Thread.sleep(20);
        }

        Result busy = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--wait-idle", "1",
                "drain");
        assertThat(busy.exit()).as(busy.toString()).isZero();
        assertThat(busy.json().path("state").asText()).isEqualTo("drained");
        assertThat(busy.json().path("idle").isBoolean() && !busy.json().path("idle").asBoolean())
                .as("still serving after 1 s: " + busy.stdout()).isTrue();
        assertThat(busy.json().path("inFlight").asInt()).isEqualTo(1);
        assertThat(busy.json().path("waitedMs").asLong()).isGreaterThanOrEqualTo(1000);

        CompletableFuture<Result> drain = CompletableFuture.supplyAsync(() -> {
            try {
                return run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--wait-idle", "30",
                        "drain");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1500);
        assertThat(drain).as("the drain waits while the request is in flight").isNotDone();
        gate.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).body()).as("the drained backend finishes its request")
                .isEqualTo("done");
        Result idle = drain.get(20, TimeUnit.SECONDS);
        assertThat(idle.exit()).as(idle.toString()).isZero();
        assertThat(idle.json().path("idle").asBoolean()).isTrue();
        assertThat(idle.json().path("inFlight").asInt()).isZero();
        assertThat(idle.json().path("changed").asBoolean()).as("it was drained already").isFalse();
        assertThat(idle.json().path("waitedMs").asLong()).as("it waited (how long depends on its start-up)")
                .isBetween(1L, 20_000L);
    }

    /** A sandbox load balancer on a free port, health checks every 200 ms, stopped after the test. */
    private io.opsflow.sandbox.SandboxLoadBalancer loadBalancer(String name) throws IOException {
        io.opsflow.sandbox.SandboxLoadBalancer lb = new io.opsflow.sandbox.SandboxLoadBalancer(name,
                root.resolve("lb-" + name + ".json"), Duration.ofMillis(200));
        lb.start(0);
        cleanups.add(lb::stop);
        return lb;
    }

    /** How often the script called the admin API with METHOD (lb.sh logs every call to stderr). */
    private static long apiCalls(Result r, String method) {
        return r.stderr().lines().filter(l -> l.startsWith(method + " http")).count();
    }

    /**
     * Drain and undrain read the pool once: a GET before the action, the state after it from the action's answer
     * (the pool, docs/contracts.md), one python3 parse for both. Idempotent, and an absent backend is an error that
     * changes nothing.
     */
    @Test
    void drainAndUndrainReadThePoolOnceAndStayIdempotent() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.createContext("/", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        backend.start();
        cleanups.add(() -> backend.stop(0));
        io.opsflow.sandbox.SandboxLoadBalancer lb = loadBalancer("once-test");
        String api = lb.apiUrl();
        String url = "http://127.0.0.1:" + backend.getAddress().getPort();
        assertThat(run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--url", url,
                "--wait-healthy", "10", "add").exit()).isZero();

        Result drained = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--wait-idle", "5",
                "drain");
        assertThat(drained.exit()).as(drained.toString()).isZero();
        assertThat(drained.json().path("state").asText()).isEqualTo("drained");
        assertThat(drained.json().path("changed").asBoolean()).isTrue();
        assertThat(drained.json().path("idle").asBoolean()).isTrue();
        assertThat(drained.json().path("inFlight").asInt(-1)).isZero();
        assertThat(apiCalls(drained, "GET")).as("one read of the pool: " + drained.stderr()).isEqualTo(1);
        assertThat(apiCalls(drained, "POST")).isEqualTo(1);
        assertThat(lb.poolsJson().path("pools").path("webapp").path("backends").path(0).path("state").asText())
                .isEqualTo("drained");
        Result again = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "drain");
        assertThat(again.exit()).isZero();
        assertThat(again.json().path("changed").asBoolean()).as("drained already").isFalse();

        Result undrained = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "--wait-healthy",
                "10", "undrain");
        assertThat(undrained.exit()).as(undrained.toString()).isZero();
        assertThat(undrained.json().path("state").asText()).isEqualTo("active");
        assertThat(undrained.json().path("healthy").asBoolean()).isTrue();
        assertThat(undrained.json().path("changed").asBoolean()).isTrue();
        assertThat(apiCalls(undrained, "GET")).as("healthy already: one read").isEqualTo(1);
        assertThat(run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h1", "undrain").json()
                .path("changed").asBoolean()).isFalse();

        java.util.function.Supplier<String> pools = () -> lb.poolsJson().path("pools").toString()
                .replaceAll("\"(lastCheck|inFlight|healthy|lastError)\":[^,}]*", ""); // the health checks' own
        String poolsBefore = pools.get();
        for (String action : List.of("drain", "undrain")) {
            Result absent = run("lb-ctl.sh", "--api", api, "--pool", "webapp", "--backend", "h9", action);
            assertThat(absent.exit()).as(absent.toString()).isEqualTo(1);
            assertThat(absent.json().path("present").isBoolean() && !absent.json().path("present").asBoolean())
                    .isTrue();
            assertThat(absent.json().path("error").asText()).isEqualTo("pool webapp has no backend h9");
            Result noPool = run("lb-ctl.sh", "--api", api, "--pool", "api", "--backend", "h1", action);
            assertThat(noPool.json().path("error").asText()).isEqualTo("pool api has no backend h1");
        }
        assertThat(pools.get()).as("nothing changed").isEqualTo(poolsBefore);
    }

    /** An admin API that answers an action without the pool: the script reads the pool again, the result is right. */
    @Test
    void anActionAnswerThatIsNotThePoolIsReadAgain() throws Exception {
        Map<String, String> state = new ConcurrentHashMap<>(Map.of("h1", "active"));
        HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        api.createContext("/_lb/", ex -> {
            String path = ex.getRequestURI().getPath();
            String body;
            if (ex.getRequestMethod().equals("POST") && path.matches("/_lb/pools/webapp/backends/h1/(un)?drain")) {
                state.put("h1", path.endsWith("/undrain") ? "active" : "drained");
                body = "{\"ok\":true}";
            } else if (ex.getRequestMethod().equals("GET") && path.equals("/_lb/pools")) {
                body = "{\"pools\":{\"webapp\":{\"active\":null,\"backends\":[{\"id\":\"h1\",\"url\":"
                        + "\"http://127.0.0.1:1\",\"color\":null,\"state\":\"" + state.get("h1")
                        + "\",\"healthy\":true}]}}}";
            } else {
                body = "{}";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(body.equals("{}") ? 404 : 200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        api.start();
        cleanups.add(() -> api.stop(0));
        String base = "http://127.0.0.1:" + api.getAddress().getPort();
        Result drained = run("lb-ctl.sh", "--api", base, "--pool", "webapp", "--backend", "h1", "drain");
        assertThat(drained.exit()).as(drained.toString()).isZero();
        assertThat(drained.json().path("state").asText()).isEqualTo("drained");
        assertThat(drained.json().path("changed").asBoolean()).isTrue();
        assertThat(drained.json().path("inFlight").isNull()).as("this API does not count them").isTrue();
        assertThat(apiCalls(drained, "GET")).as("read again after the action").isEqualTo(2);
    }

    // ---------------------------------------------------------------- hostile input

    @Test
    void hostileArgumentsAreRejectedWithExitTwoAndChangeNothing() throws Exception {
        int port = freePort();
        assertThat(activate("webapp", "blue", "1.0.0", port).exit()).isZero();
        Path dir = Files.createDirectories(root.resolve("data"));
        Files.writeString(dir.resolve("f.txt"), "x");
        Path pwned = tmp.resolve("pwned");
        String tooLong = "a".repeat(64);
        List<String> hostile = List.of(";rm -rf " + root, "$(touch " + pwned + ")", "`touch " + pwned + "`",
                "../x", "-rf", "--version", "1.0.0\nrm", "a b", "", "x|touch " + pwned, "/tmp/../etc/passwd",
                "BLUE", tooLong);
        Map<String, String> before = tree(root);
        long pid = Long.parseLong(Files.readString(root.resolve("apps/webapp/instances/blue/run/app.pid")).strip());

        String artifact = store.artifact("webapp", "1.1.0").toString();
        String r = root.toString();
        String p = String.valueOf(port);
        List<List<String>> templates = List.of(
                List.of("release-activate.sh", "--root", r, "--app", "@", "--instance", "blue", "--version", "1.1.0",
                        "--artifact", artifact, "--port", p),
                List.of("release-activate.sh", "--root", r, "--app", "webapp", "--instance", "@", "--version",
                        "1.1.0", "--artifact", artifact, "--port", p),
                List.of("release-activate.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--version", "@",
                        "--artifact", artifact, "--port", p),
                List.of("release-activate.sh", "--root", "@", "--app", "webapp", "--instance", "blue", "--version",
                        "1.1.0", "--artifact", artifact, "--port", p),
                List.of("release-activate.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--version",
                        "1.1.0", "--artifact", "@", "--port", p),
                List.of("release-activate.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--version",
                        "1.1.0", "--artifact", artifact, "--port", "@"),
                List.of("release-activate.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--version",
                        "1.1.0", "--artifact", artifact, "--port", p, "--health-path", "@"),
                List.of("service.sh", "--root", r, "--app", "@", "--instance", "blue", "stop"),
                List.of("service.sh", "--root", r, "--app", "webapp", "--instance", "@", "stop"),
                List.of("service.sh", "--root", "@", "--app", "webapp", "--instance", "blue", "stop"),
                List.of("service.sh", "--root", r, "--app", "webapp", "--instance", "blue", "@"),
                List.of("release-remove.sh", "--root", r, "--app", "@", "--instance", "blue"),
                List.of("release-remove.sh", "--root", r, "--app", "webapp", "--instance", "@"),
                List.of("release-remove.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--version", "@"),
                List.of("health-probe.sh", "--url", "@"),
                List.of("lb-ctl.sh", "--api", "http://127.0.0.1:1", "--pool", "@", "--backend", "h1", "drain"),
                List.of("lb-ctl.sh", "--api", "http://127.0.0.1:1", "--pool", "webapp", "--backend", "@", "drain"),
                List.of("lb-ctl.sh", "--api", "@", "--pool", "webapp", "--backend", "h1", "drain"),
                List.of("lb-ctl.sh", "--api", "http://127.0.0.1:1", "--pool", "webapp", "--backend", "h1",
                        "--wait-idle", "@", "drain"),
                List.of("lb-switch.sh", "--api", "http://127.0.0.1:1", "--pool", "@", "--to", "green"),
                List.of("lb-switch.sh", "--api", "http://127.0.0.1:1", "--pool", "webapp", "--to", "@"),
                List.of("db-backup-postgres.sh", "--database", "@", "--output", r + "/b.dump"),
                List.of("db-backup-postgres.sh", "--database", "app", "--output", "@"),
                List.of("db-backup-postgres.sh", "--database", "app", "--output", r + "/b.dump", "--host", "@"),
                List.of("db-backup-postgres.sh", "--database", "app", "--output", r + "/b.dump", "--user", "@"),
                List.of("db-restore-postgres.sh", "--database", "@", "--input", r + "/b.dump"),
                List.of("db-restore-postgres.sh", "--database", "app", "--input", "@"),
                List.of("db-backup-mariadb.sh", "--database", "@", "--output", r + "/b.sql"),
                List.of("db-backup-mariadb.sh", "--database", "app", "--output", r + "/b.sql",
                        "--defaults-file", "@"),
                List.of("db-restore-mariadb.sh", "--database", "@", "--input", r + "/b.sql"),
                List.of("dir-archive.sh", "--source", "@", "--output", r + "/d.tar.gz"),
                List.of("dir-archive.sh", "--source", dir.toString(), "--output", "@"),
                List.of("dir-restore.sh", "--input", r + "/d.tar.gz", "--target", "@"));
        Set<String> nameOptions = Set.of("--app", "--instance", "--pool", "--backend");
        int checked = 0;
        for (List<String> template : templates) {
            int at = template.indexOf("@");
            String option = at > 0 ? template.get(at - 1) : "";
            for (String bad : hostile) {
                if ((bad.equals("BLUE") || bad.equals(tooLong)) && !nameOptions.contains(option)) {
                    continue; // upper case and 64 characters are invalid only for names
                }
                List<String> argv = template.stream().map(a -> a.equals("@") ? bad : a).toList();
                Result res = run(argv.get(0), argv.subList(1, argv.size()).toArray(String[]::new));
                assertThat(res.exit()).as(argv + " -> " + res).isEqualTo(2);
                assertThat(res.ok()).isFalse();
                assertThat(res.json().path("error").asText()).as(argv.toString()).isNotBlank();
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(300);
        assertThat(run("release-activate.sh", "--root", r, "--bogus", "x").exit()).isEqualTo(2);
        assertThat(run("release-activate.sh", "--root", r, "--app", "webapp").exit()).as("missing arguments")
                .isEqualTo(2);
        assertThat(run("service.sh", "--root", r, "--app", "webapp", "--instance", "blue").exit())
                .as("missing action").isEqualTo(2);
        assertThat(run("service.sh", "--root", r, "--app", "webapp", "--instance", "blue", "--root").exit())
                .as("option without value").isEqualTo(2);

        assertThat(pwned).as("no argument was ever executed").doesNotExist();
        assertThat(tree(root)).as("nothing changed under the root").isEqualTo(before);
        assertThat(alive(pid)).isTrue();
        assertThat(version(port).get("version")).isEqualTo("1.0.0");
    }

    // ---------------------------------------------------------------- databases

    @Test
    void postgresBackupDamageRestoreAndScratchDrill() throws Exception {
        RealComponent.require("pg_dump", "apt-get install postgresql-client");
        String admin = "jdbc:postgresql://127.0.0.1:5432/postgres";
        RealComponent.available(canConnect(admin, "postgres", ""), "PostgreSQL at 127.0.0.1:5432 (user postgres)");
        String db = "opsflow_wk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String scratch = db + "_scratch";
        execute(admin, "postgres", "", "CREATE DATABASE " + db);
        cleanups.add(() -> {
            for (String d : List.of(db, scratch)) {
                try {
                    execute(admin, "postgres", "", "DROP DATABASE IF EXISTS " + d + " WITH (FORCE)");
                } catch (SQLException e) {
                    System.err.println("could not drop " + d + ": " + e.getMessage());
                }
            }
        });
        String url = "jdbc:postgresql://127.0.0.1:5432/" + db;
        execute(url, "postgres", "",
                "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER)",
                "INSERT INTO items VALUES (1, 'welcome', 100), (2, 'quote''s and \\ backslash', 250), (3, 'üñí', 0)",
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), qty INTEGER)",
                "INSERT INTO orders VALUES (10, 1, 5), (11, 3, 1)");
        List<String> items = rows(url, "postgres", "", "SELECT * FROM items ORDER BY id");
        List<String> orders = rows(url, "postgres", "", "SELECT * FROM orders ORDER BY id");
        Path dump = root.resolve("backups/" + db + ".dump");
        String[] conn = {"--host", "127.0.0.1", "--port", "5432", "--user", "postgres"};

        Result backup = run("db-backup-postgres.sh", concat(conn, "--database", db, "--output", dump.toString(),
                "--verify-query", "SELECT count(*), sum(price_cents) FROM items"));
        assertThat(backup.exit()).as(backup.toString()).isZero();
        assertThat(backup.json().path("rowCounts").toString()).isEqualTo("{\"public.items\":3,\"public.orders\":2}");
        assertThat(backup.json().path("verifyValue").asText()).isEqualTo("3|350");
        assertThat(backup.json().path("sha256").asText()).isEqualTo(sha256(dump));
        assertThat(backup.json().path("size").asLong()).isEqualTo(Files.size(dump));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dump))).isEqualTo("rw-------");
        try (Stream<Path> s = Files.list(dump.getParent())) {
            assertThat(s).as("no partial file left").containsExactly(dump);
        }

        execute(url, "postgres", "", "DROP TABLE orders", "UPDATE items SET name = 'damaged'");
        Result mismatch = run("db-restore-postgres.sh", concat(conn, "--database", db, "--input", dump.toString(),
                "--sha256", "0".repeat(64)));
        assertThat(mismatch.exit()).isEqualTo(1);
        assertThat(mismatch.json().path("error").asText()).contains("checksum mismatch");
        assertThat(rows(url, "postgres", "", "SELECT DISTINCT name FROM items")).as("untouched")
                .containsExactly("damaged");

        Result restore = run("db-restore-postgres.sh", concat(conn, "--database", db, "--input", dump.toString(),
                "--sha256", backup.json().path("sha256").asText(), "--verify-query",
                "SELECT count(*), sum(price_cents) FROM items"));
        assertThat(restore.exit()).as(restore.toString()).isZero();
        assertThat(rows(url, "postgres", "", "SELECT * FROM items ORDER BY id")).isEqualTo(items);
        assertThat(rows(url, "postgres", "", "SELECT * FROM orders ORDER BY id")).isEqualTo(orders);
        assertThat(restore.json().path("rowCounts")).isEqualTo(backup.json().path("rowCounts"));
        assertThat(restore.json().path("verifyValue")).isEqualTo(backup.json().path("verifyValue"));

        // --recreate also removes what appeared after the backup (e.g. a half-applied migration)
        execute(url, "postgres", "", "CREATE TABLE migration_leftover (x INTEGER)");
        Result recreate = run("db-restore-postgres.sh", concat(conn, "--database", db, "--input", dump.toString(),
                "--recreate"));
        assertThat(recreate.exit()).as(recreate.toString()).isZero();
        assertThat(recreate.json().path("rowCounts")).isEqualTo(backup.json().path("rowCounts"));
        assertThat(rows(url, "postgres", "", "SELECT * FROM items ORDER BY id")).isEqualTo(items);

        Result missingDb = run("db-restore-postgres.sh", concat(conn, "--database", scratch, "--input",
                dump.toString()));
        assertThat(missingDb.exit()).isEqualTo(1);
        assertThat(missingDb.json().path("error").asText()).contains("does not exist", "--create-db");

        Result drill = run("db-restore-postgres.sh", concat(conn, "--database", scratch, "--input", dump.toString(),
                "--sha256", backup.json().path("sha256").asText(), "--create-db", "--no-owner", "--drop-after"));
        assertThat(drill.exit()).as(drill.toString()).isZero();
        assertThat(drill.json().path("created").asBoolean()).isTrue();
        assertThat(drill.json().path("dropped").asBoolean()).isTrue();
        assertThat(drill.json().path("rowCounts")).isEqualTo(backup.json().path("rowCounts"));
        assertThat(rows(admin, "postgres", "", "SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'"))
                .containsExactly("0");
    }

    @Test
    void mariadbBackupDamageRestoreWithADefaultsFile() throws Exception {
        RealComponent.require("mysqldump", "apt-get install mariadb-client");
        String admin = "jdbc:mariadb://127.0.0.1:3306/";
        RealComponent.available(canConnect(admin, "root", ""), "MariaDB at 127.0.0.1:3306 (user root)");
        String db = "opsflow_wk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String scratch = db + "_scratch";
        execute(admin, "root", "", "CREATE DATABASE " + db);
        cleanups.add(() -> {
            for (String d : List.of(db, scratch)) {
                try {
                    execute(admin, "root", "", "DROP DATABASE IF EXISTS " + d);
                } catch (SQLException e) {
                    System.err.println("could not drop " + d + ": " + e.getMessage());
                }
            }
        });
        String url = "jdbc:mariadb://127.0.0.1:3306/" + db;
        execute(url, "root", "",
                "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, price_cents INTEGER)",
                "INSERT INTO items VALUES (1, 'welcome', 100), (2, 'quote''s and \\\\ backslash', 250), (3, 'üñí', 0)",
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER, qty INTEGER)",
                "INSERT INTO orders VALUES (10, 1, 5), (11, 3, 1)");
        List<String> items = rows(url, "root", "", "SELECT * FROM items ORDER BY id");
        List<String> orders = rows(url, "root", "", "SELECT * FROM orders ORDER BY id");
        Path defaults = tmp.resolve("client.cnf");
        Files.writeString(defaults, "[client]\nuser=root\n");
        Files.setPosixFilePermissions(defaults, PosixFilePermissions.fromString("rw-------"));
        Path dump = root.resolve("backups/" + db + ".sql.gz");
        String[] conn = {"--defaults-file", defaults.toString(), "--host", "127.0.0.1", "--port", "3306"};

        Result backup = run("db-backup-mariadb.sh", concat(conn, "--database", db, "--output", dump.toString(),
                "--verify-query", "SELECT count(*), sum(price_cents) FROM items"));
        assertThat(backup.exit()).as(backup.toString()).isZero();
        assertThat(backup.json().path("format").asText()).isEqualTo("sql.gz");
        assertThat(backup.json().path("rowCounts").toString()).isEqualTo("{\"items\":3,\"orders\":2}");
        assertThat(backup.json().path("verifyValue").asText()).isEqualTo("3|350");
        assertThat(backup.json().path("sha256").asText()).isEqualTo(sha256(dump));

        execute(url, "root", "", "DROP TABLE orders", "UPDATE items SET name = 'damaged'");
        Result mismatch = run("db-restore-mariadb.sh", concat(conn, "--database", db, "--input", dump.toString(),
                "--sha256", "f".repeat(64)));
        assertThat(mismatch.exit()).isEqualTo(1);
        assertThat(rows(url, "root", "", "SELECT DISTINCT name FROM items")).containsExactly("damaged");

        Result restore = run("db-restore-mariadb.sh", concat(conn, "--database", db, "--input", dump.toString(),
                "--sha256", backup.json().path("sha256").asText(), "--verify-query",
                "SELECT count(*), sum(price_cents) FROM items"));
        assertThat(restore.exit()).as(restore.toString()).isZero();
        assertThat(rows(url, "root", "", "SELECT * FROM items ORDER BY id")).isEqualTo(items);
        assertThat(rows(url, "root", "", "SELECT * FROM orders ORDER BY id")).isEqualTo(orders);
        assertThat(restore.json().path("rowCounts")).isEqualTo(backup.json().path("rowCounts"));
        assertThat(restore.json().path("verifyValue")).isEqualTo(backup.json().path("verifyValue"));

        Result drill = run("db-restore-mariadb.sh", concat(conn, "--database", scratch, "--input", dump.toString(),
                "--create-db", "--drop-after"));
        assertThat(drill.exit()).as(drill.toString()).isZero();
        assertThat(drill.json().path("rowCounts")).isEqualTo(backup.json().path("rowCounts"));
        assertThat(rows(admin, "root", "",
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '" + scratch + "'"))
                .containsExactly("0");
    }

    // ---------------------------------------------------------------- directories

    @Test
    void dirArchiveAndRestoreRoundTrip() throws Exception {
        Path src = Files.createDirectories(root.resolve("srv/uploads"));
        Files.createDirectories(src.resolve("a/b"));
        Files.createDirectories(src.resolve("cache"));
        Files.createDirectories(src.resolve("empty"));
        Files.writeString(src.resolve("index.html"), "<h1>hello</h1>\n");
        Files.writeString(src.resolve("a/b/deep.txt"), "deep ü\n");
        Files.writeString(src.resolve("cache/tmp.bin"), "cache");
        Path script = src.resolve("a/run.sh");
        Files.writeString(script, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        Path archive = root.resolve("backups/uploads.tar.gz");

        Result archived = run("dir-archive.sh", "--source", src.toString(), "--output", archive.toString(),
                "--exclude", "cache/*");
        assertThat(archived.exit()).as(archived.toString()).isZero();
        assertThat(archived.json().path("files").asInt()).isEqualTo(3);
        assertThat(archived.json().path("sha256").asText()).isEqualTo(sha256(archive));
        Map<String, String> expected = contentTree(src);
        expected.keySet().removeIf(k -> k.startsWith("cache/"));

        Files.delete(src.resolve("index.html"));
        Files.writeString(src.resolve("a/b/deep.txt"), "changed");
        Files.writeString(src.resolve("intruder.php"), "<?php");
        Map<String, String> damaged = tree(src);

        Result bad = run("dir-restore.sh", "--input", archive.toString(), "--target", src.toString(), "--sha256",
                "a".repeat(64));
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(tree(src)).as("untouched after a checksum mismatch").isEqualTo(damaged);

        Result restored = run("dir-restore.sh", "--input", archive.toString(), "--target", src.toString(), "--sha256",
                archived.json().path("sha256").asText());
        assertThat(restored.exit()).as(restored.toString()).isZero();
        assertThat(restored.json().path("replaced").asBoolean()).isTrue();
        assertThat(contentTree(src)).isEqualTo(expected);
        assertThat(Files.getPosixFilePermissions(script)).isEqualTo(PosixFilePermissions.fromString("rwxr-x---"));
        try (Stream<Path> s = Files.list(src.getParent())) {
            assertThat(s).as("no staging directory left").containsExactly(src);
        }

        Path elsewhere = root.resolve("restore-test/uploads");
        Result fresh = run("dir-restore.sh", "--input", archive.toString(), "--target", elsewhere.toString());
        assertThat(fresh.exit()).as(fresh.toString()).isZero();
        assertThat(Files.readString(elsewhere.resolve("a/b/deep.txt"))).isEqualTo("deep ü\n");

        Files.writeString(elsewhere.resolve("keep.me"), "kept");
        Result merge = run("dir-restore.sh", "--input", archive.toString(), "--target", elsewhere.toString(),
                "--mode", "merge");
        assertThat(merge.exit()).isZero();
        assertThat(elsewhere.resolve("keep.me")).hasContent("kept");
    }

    // ---------------------------------------------------------------- artifact store listing

    @Test
    void listsADirectoryStoreAndAnHttpStoreThroughItsIndexAlike() throws Exception {
        Result dir = run("artifact-list.sh", "--store", storeDir.toString());
        assertThat(dir.exit()).as(dir.toString()).isZero();
        assertThat(dir.json().path("source").asText()).isEqualTo("directory");
        List<String> listed = new ArrayList<>();
        dir.json().path("artifacts").forEach(a -> listed.add(a.path("app").asText() + " " + a.path("version")
                .asText()));
        assertThat(listed).containsExactlyInAnyOrder("api 1.0.0", "api 1.1.0", "webapp 1.0.0", "webapp 1.1.0",
                "webapp 1.2.0", "webapp 2.0.0-broken");
        assertThat(dir.json().path("ignored").asInt()).isZero();

        // the sandbox store writes index.txt, in release order: served over http it lists the same
        assertThat(Files.readAllLines(storeDir.resolve(ArtifactStore.INDEX))).filteredOn(l -> !l.startsWith("#"))
                .containsExactly("api-1.0.0.tar.gz", "api-1.1.0.tar.gz", "webapp-1.0.0.tar.gz", "webapp-1.1.0.tar.gz",
                        "webapp-1.2.0.tar.gz", "webapp-2.0.0-broken.tar.gz");
        Path served = root.resolve("served");
        Files.createDirectories(served);
        Files.writeString(served.resolve("index.txt"), Files.readString(storeDir.resolve(ArtifactStore.INDEX))
                + "not-an-artifact.zip\n../etc/passwd-1.tar.gz\n\n");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/store/", exchange -> {
            Path file = served.resolve(exchange.getRequestURI().getPath().substring("/store/".length()));
            byte[] body = Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        cleanups.add(() -> server.stop(0));
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Result http = run("artifact-list.sh", "--store", base + "/store/");
        assertThat(http.exit()).as(http.toString()).isZero();
        assertThat(http.json().path("source").asText()).isEqualTo("index");
        assertThat(http.json().path("artifacts")).isEqualTo(dir.json().path("artifacts"));
        assertThat(http.json().path("ignored").asInt()).as("the zip and the path trick").isEqualTo(2);

        Result missing = run("artifact-list.sh", "--store", base + "/nothing");
        assertThat(missing.exit()).as(missing.toString()).isEqualTo(1);
        assertThat(missing.json().path("error").asText()).contains("could not read " + base + "/nothing/index.txt");
        Result absent = run("artifact-list.sh", "--store", root.resolve("absent").toString());
        assertThat(absent.exit()).isEqualTo(1);
        for (String bad : List.of("relative/dir", "/a/../etc", "ftp://x/y", "/a;b")) {
            Result r = run("artifact-list.sh", "--store", bad);
            assertThat(r.exit()).as(bad + ": " + r).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- helpers

    Result activate(String app, String instance, String version, int port) throws Exception {
        return run("release-activate.sh", "--root", root.toString(), "--app", app, "--instance", instance,
                "--version", version, "--artifact", store.artifact(app, version).toString(), "--sha256",
                store.sha256(app, version), "--port", String.valueOf(port), "--health-timeout", "15");
    }

    Result service(String instance, String action) throws Exception {
        return run("service.sh", "--root", root.toString(), "--app", "webapp", "--instance", instance, action);
    }

    /**
     * Runs a workers/ script like an SSH step would: the assembled script (what the host gets), argv only,
     * HOME = root, an allow-listed environment.
     */
    Result run(String script, String... args) throws Exception {
        List<String> argv = new ArrayList<>();
        argv.add(WorkersShellcheckTest.assembledDir().resolve(script).toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        pb.environment().put("HOME", root.toString());
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().put("TMPDIR", tmp.toString());
        pb.directory(root.toFile());
        Path stderrFile = Files.createTempFile(root.getParent(), "stderr", ".log");
        pb.redirectError(stderrFile.toFile());
        Process process = pb.start();
        process.getOutputStream().close();
        // stdout is a pipe: if a started application kept it open, this read would hang and the test time out
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            fail(script + " did not finish within 90 s");
        }
        String out = stdout.get(10, TimeUnit.SECONDS);
        String err = Files.readString(stderrFile);
        Files.delete(stderrFile);
        assertThat(out).as(script + " prints exactly one JSON line; stderr:\n" + err).endsWith("\n");
        assertThat(out.strip().lines().count()).as(script + " prints exactly one line: " + out).isEqualTo(1);
        JsonNode json = JSON.readTree(out);
        assertThat(json.path("ok").isBoolean()).as("ok field in " + out).isTrue();
        if (json.path("pid").canConvertToLong() && json.path("pid").asLong() > 0) {
            pids.add(json.path("pid").asLong());
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.filter(p -> !p.getFileName().toString().equals("client.cnf")))
                    .as(script + " leaves no temporary files").isEmpty();
        }
        return new Result(process.exitValue(), json, out, err);
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String[] concat(String[] first, String... more) {
        String[] all = new String[first.length + more.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !isZombie(pid);
    }

    static void awaitDeath(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alive(pid)) {
            assertThat(System.nanoTime()).as("pid " + pid + " exits").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return false;
        }
    }

    static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> version(int port) throws Exception {
        HttpResponse<String> r = get(port, "/version");
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readValue(r.body(), Map.class);
    }

    /**
     * Every path under dir with its type, size, mtime, permissions and link target: any change shows. The running
     * applications' own logs (log/app.log, written by the application as it serves requests) count by name only.
     */
    static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String rel = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(rel, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    out.put(rel + "/", "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                } else if (rel.endsWith("/log/app.log")) {
                    out.put(rel, "application log");
                } else {
                    out.put(rel, Files.size(p) + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis()
                            + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                }
            }
        }
        return out;
    }

    /** Paths with content hashes and permissions (not mtimes): what a restore must reproduce. */
    static Map<String, String> contentTree(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String rel = dir.relativize(p).toString();
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                out.put(rel, Files.isDirectory(p) ? "dir" : sha256(p) + " " + PosixFilePermissions.toString(perms));
            }
        }
        return out;
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static boolean canConnect(String url, String user, String password) {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return c.isValid(5);
        } catch (SQLException e) {
            System.err.println("cannot connect to " + url + ": " + e.getMessage());
            return false;
        }
    }

    static void execute(String url, String user, String password, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    static List<String> rows(String url, String user, String password, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(query)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }
}
