package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/** The sandbox load balancer against small in-process HTTP backends: admin API, health checks, routing. */
class SandboxLoadBalancerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Backend> backends = new ArrayList<>();
    private SandboxLoadBalancer lb;
    @TempDir
    Path tmp;

    /** A backend answering /health (200 or 503 as told) and / with its name; /slow waits for {@code gate}. */
    static final class Backend {
        final String name;
        final HttpServer server;
        final AtomicBoolean healthy = new AtomicBoolean(true);
        final CountDownLatch gate = new CountDownLatch(1);

        Backend(String name) throws IOException {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/", ex -> {
                String path = ex.getRequestURI().getPath();
                if (path.equals("/slow")) {
                    try {
                        gate.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int status = path.equals("/health") ? (healthy.get() ? 200 : 503) : 200;
                byte[] b = (name + " " + ex.getRequestMethod() + " " + ex.getRequestURI() + " "
                        + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)).getBytes();
                ex.sendResponseHeaders(status, b.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(b);
                }
            });
            server.setExecutor(Executors.newCachedThreadPool());
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }
    }

    @BeforeEach
    void start() throws IOException {
        lb = new SandboxLoadBalancer("test", tmp.resolve("lb-test.json"), Duration.ofMillis(200));
        lb.start(0);
    }

    @AfterEach
    void stop() {
        lb.stop();
        backends.forEach(b -> {
            b.gate.countDown();
            b.server.stop(0);
        });
    }

    private Backend backend(String name) throws IOException {
        Backend b = new Backend(name);
        backends.add(b);
        return b;
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(lb.url() + path)).timeout(Duration.ofSeconds(5));
        rb.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode pool(String pool) throws Exception {
        return JSON.readTree(call("GET", "/_lb/pools", null).body()).path("pools").path(pool);
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private boolean healthy(String pool, String id) {
        try {
            for (JsonNode b : pool(pool).path("backends")) {
                if (b.path("id").asText().equals(id)) {
                    return b.path("healthy").asBoolean();
                }
            }
            return false;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Integer> spread(String path, int n) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = call("GET", path, null);
            assertThat(r.statusCode()).as("request %d to %s: %s", i, path, r.body()).isEqualTo(200);
            counts.merge(r.body().split(" ")[0], 1, Integer::sum);
            assertThat(r.headers().firstValue(SandboxLoadBalancer.BACKEND_HEADER)).isPresent();
        }
        return counts;
    }

    @Test
    void routesRoundRobinToHealthyBackendsOnlyAndRespectsDrainAndColour() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend g = backend("g");
        assertThat(call("PUT", "/_lb/pools/webapp/backends/a", "{\"url\":\"" + a.url() + "\",\"color\":\"blue\"}")
                .statusCode()).isEqualTo(200);
        assertThat(call("PUT", "/_lb/pools/webapp/backends/b", "{\"url\":\"" + b.url() + "\",\"color\":\"blue\"}")
                .statusCode()).isEqualTo(200);
        assertThat(call("PUT", "/_lb/pools/webapp/backends/g", "{\"url\":\"" + g.url() + "\",\"color\":\"green\"}")
                .statusCode()).isEqualTo(200);
        await("all healthy", () -> healthy("webapp", "a") && healthy("webapp", "b") && healthy("webapp", "g"));

        assertThat(spread("/x?q=1", 9)).containsOnlyKeys("a", "b", "g").containsValues(3, 3, 3);
        assertThat(call("GET", "/hello?q=1", null).body()).endsWith("GET /hello?q=1 ");
        assertThat(call("POST", "/submit", "payload").body()).endsWith("POST /submit payload");

        // colour switch: only blue
        assertThat(call("POST", "/_lb/pools/webapp/switch", "{\"color\":\"blue\"}").statusCode()).isEqualTo(200);
        assertThat(pool("webapp").path("active").asText()).isEqualTo("blue");
        assertThat(spread("/", 6)).containsOnlyKeys("a", "b");

        // unhealthy backend gets nothing once the check notices
        a.healthy.set(false);
        await("a unhealthy", () -> !healthy("webapp", "a"));
        assertThat(spread("/", 5)).containsOnlyKeys("b");

        // drained backend gets nothing; undrain brings it back
        a.healthy.set(true);
        await("a healthy again", () -> healthy("webapp", "a"));
        assertThat(call("POST", "/_lb/pools/webapp/backends/b/drain", null).statusCode()).isEqualTo(200);
        assertThat(pool("webapp").path("backends").get(1).path("state").asText()).isEqualTo("drained");
        assertThat(spread("/", 4)).containsOnlyKeys("a");
        call("POST", "/_lb/pools/webapp/backends/b/undrain", null);
        assertThat(spread("/", 4)).containsOnlyKeys("a", "b");

        // a stopped backend: the first request after it dies is redispatched, none fail
        b.server.stop(0);
        assertThat(spread("/", 6)).containsOnlyKeys("a");

        // none left of the active colour: 503
        a.server.stop(0);
        await("a unhealthy", () -> !healthy("webapp", "a"));
        assertThat(call("GET", "/", null).statusCode()).isEqualTo(503);
    }

    private int inFlight(String id) {
        try {
            for (JsonNode b : pool("webapp").path("backends")) {
                if (b.path("id").asText().equals(id)) {
                    assertThat(b.path("inFlight").isInt()).as("inFlight reported for %s: %s", id, b).isTrue();
                    return b.path("inFlight").asInt();
                }
            }
            throw new AssertionError("no backend " + id);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A drain stops new requests at once; what the backend already has, it finishes, and the count says when. */
    @Test
    void countsRequestsInFlightAndADrainedBackendFinishesThem() throws Exception {
        Backend a = backend("a");
        lb.putBackend("webapp", "a", a.url(), null);
        await("a healthy", () -> healthy("webapp", "a"));
        assertThat(inFlight("a")).isZero();

        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return call("GET", "/slow", null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await("one request in flight on a", () -> inFlight("a") == 1);

        lb.setDrained("webapp", "a", true);
        assertThat(call("GET", "/", null).statusCode()).as("no new request reaches a drained backend").isEqualTo(503);
        assertThat(inFlight("a")).as("the slow request is still being served").isEqualTo(1);

        a.gate.countDown();
        HttpResponse<String> r = slow.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("a GET /slow");
        await("a idle", () -> inFlight("a") == 0);
    }

    @Test
    void otherPoolsByPathPrefix() throws Exception {
        Backend w = backend("w");
        Backend api = backend("api");
        call("PUT", "/_lb/pools/webapp/backends/w", "{\"url\":\"" + w.url() + "\",\"color\":\"blue\"}");
        call("PUT", "/_lb/pools/api/backends/x", "{\"url\":\"" + api.url() + "\"}");
        await("healthy", () -> healthy("webapp", "w") && healthy("api", "x"));
        assertThat(call("GET", "/api/v1/items", null).body()).isEqualTo("api GET /v1/items ");
        assertThat(call("GET", "/api", null).body()).isEqualTo("api GET / ");
        assertThat(call("GET", "/apiary", null).body()).isEqualTo("w GET /apiary ");
        assertThat(call("GET", "/nopool/x", null).statusCode()).isEqualTo(200);
    }

    @Test
    void badAdminInputIsRefusedAndChangesNothing() throws Exception {
        Backend w = backend("w");
        call("PUT", "/_lb/pools/webapp/backends/w", "{\"url\":\"" + w.url() + "\",\"color\":\"blue\"}");
        await("w healthy", () -> healthy("webapp", "w"));
        String before = call("GET", "/_lb/pools", null).body().replaceAll("\"lastCheck\":\"[^\"]*\"", "");

        assertThat(call("PUT", "/_lb/pools/webapp/backends/w2", "{\"url\":\"file:///etc/passwd\"}").statusCode())
                .isEqualTo(400);
        assertThat(call("PUT", "/_lb/pools/webapp/backends/w2", "not json").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/_lb/pools/webapp/backends/w2", "{\"url\":\"" + w.url() + "\",\"color\":\"Bl ue\"}")
                .statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/_lb/pools/web%20app/backends/w2", "{\"url\":\"" + w.url() + "\"}").statusCode())
                .isEqualTo(400);
        assertThat(call("POST", "/_lb/pools/webapp/switch", "{\"color\":\"green\"}").statusCode()).isEqualTo(409);
        assertThat(call("POST", "/_lb/pools/nope/switch", "{\"color\":\"green\"}").statusCode()).isEqualTo(404);
        assertThat(call("POST", "/_lb/pools/webapp/backends/zz/drain", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/_lb/pools/webapp/backends/w/drain", null).statusCode()).isEqualTo(405);
        assertThat(call("DELETE", "/_lb/pools", null).statusCode()).isEqualTo(405);
        HttpResponse<String> bad = call("POST", "/_lb/pools/webapp/switch", "{}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").asText()).contains("color");

        assertThat(call("GET", "/_lb/pools", null).body().replaceAll("\"lastCheck\":\"[^\"]*\"", ""))
                .isEqualTo(before);
        // removing a missing backend is idempotent, not an error
        HttpResponse<String> del = call("DELETE", "/_lb/pools/webapp/backends/zz", null);
        assertThat(del.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(del.body()).path("removed").asBoolean()).isFalse();
    }

    @Test
    void poolConfigurationSurvivesARestart() throws Exception {
        Backend w = backend("w");
        Backend v = backend("v");
        call("PUT", "/_lb/pools/webapp/backends/w", "{\"url\":\"" + w.url() + "\",\"color\":\"blue\"}");
        call("PUT", "/_lb/pools/webapp/backends/v", "{\"url\":\"" + v.url() + "\",\"color\":\"green\"}");
        call("POST", "/_lb/pools/webapp/switch", "{\"color\":\"green\"}");
        call("POST", "/_lb/pools/webapp/backends/w/drain", null);
        int port = lb.port();
        lb.stop();
        assertThat(Files.readString(tmp.resolve("lb-test.json"))).contains(w.url(), "drained", "green");

        lb = new SandboxLoadBalancer("test", tmp.resolve("lb-test.json"), Duration.ofMillis(200));
        lb.start(port);
        assertThat(lb.port()).isEqualTo(port);
        JsonNode p = pool("webapp");
        assertThat(p.path("active").asText()).isEqualTo("green");
        assertThat(p.path("backends").get(0).path("state").asText()).isEqualTo("drained");
        assertThat(p.path("backends").get(1).path("url").asText()).isEqualTo(v.url());
        await("v healthy", () -> healthy("webapp", "v"));
        assertThat(spread("/", 3)).containsOnlyKeys("v");
        assertThat(call("DELETE", "/_lb/pools/webapp/backends/w", null).statusCode()).isEqualTo(200);
        assertThat(pool("webapp").path("backends")).hasSize(1);
    }
}
