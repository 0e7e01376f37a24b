package io.opsflow.step.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.opsflow.step.exec.StepLogs;

class HttpHealthCheckTest {
    private static final Pattern UP = Pattern.compile("\"status\"\\s*:\\s*\"UP\"");
    private HttpServer server;
    private final AtomicInteger flakyCalls = new AtomicInteger();
    private final AtomicInteger downCalls = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final HttpHealthCheck check = new HttpHealthCheck();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        // 503 three times, then healthy
        server.createContext("/flaky", ex -> {
            int n = flakyCalls.incrementAndGet();
            respond(ex, n <= 3 ? 503 : 200, n <= 3 ? "{\"status\":\"STARTING\"}" : "{\"status\":\"UP\"}");
        });
        server.createContext("/down", ex -> {
            downCalls.incrementAndGet();
            respond(ex, 500, "internal error " + "x".repeat(2000));
        });
        server.createContext("/up", ex -> respond(ex, 200, "{\"status\":\"UP\"}"));
        server.createContext("/degraded", ex -> respond(ex, 200, "{\"status\":\"DOWN\"}"));
        server.createContext("/redirect", ex -> {
            ex.getResponseHeaders().add("Location", "/up");
            respond(ex, 302, "");
        });
        server.createContext("/hang", ex -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200, "late");
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Test
    void theHttpClientIsBuiltOnTheFirstCheckNotWithTheBean() {
        HttpHealthCheck fresh = new HttpHealthCheck();
        assertThat(fresh.clientBuilt()).as("built with the bean").isFalse();

        HealthReport r = fresh.check(List.of(url("/up")), 200, UP, Duration.ofMillis(50), Duration.ofSeconds(10));

        assertThat(r.allHealthy()).isTrue();
        assertThat(fresh.clientBuilt()).isTrue();
    }

    @Test
    void aMissingClientIsRefusedAtOnce() {
        assertThatThrownBy(() -> new HttpHealthCheck((java.net.http.HttpClient) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("client");
    }

    @Test
    void becomesHealthyAfterSomeTries() {
        var log = StepLogs.memory();
        HealthReport r = check.check(List.of(url("/flaky")), 200, UP, Duration.ofMillis(50), Duration.ofSeconds(20),
                log);
        assertThat(r.allHealthy()).isTrue();
        UrlHealth h = r.results().get(0);
        assertThat(h.healthy()).isTrue();
        assertThat(h.attempts()).isEqualTo(4);
        assertThat(flakyCalls.get()).isEqualTo(4);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.lastError()).isNull();
        assertThat(h.bodyExcerpt()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(log.lines()).anyMatch(l -> l.contains("attempt 1: 503 - status 503 (expected 200)"))
                .anyMatch(l -> l.contains("attempt 4: 200 healthy"));
    }

    @Test
    void neverHealthyStopsAtTheDeadline() {
        long start = System.nanoTime();
        HealthReport r = check.check(List.of(url("/down")), 200, null, Duration.ofMillis(100),
                Duration.ofMillis(700));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        UrlHealth h = r.results().get(0);
        assertThat(r.allHealthy()).isFalse();
        assertThat(h.healthy()).isFalse();
        assertThat(h.status()).isEqualTo(500);
        assertThat(h.lastError()).isEqualTo("status 500 (expected 200)");
        assertThat(h.attempts()).isEqualTo(downCalls.get()).isBetween(3, 8);
        assertThat(h.bodyExcerpt()).startsWith("internal error xxx").hasSize(HttpHealthCheck.EXCERPT_CHARS + 1);
        assertThat(took).isBetween(600L, 3000L);
    }

    @Test
    void bodyPatternDecidesAndResultsArePerUrlInOrder() {
        HealthReport r = check.check(List.of(url("/degraded"), url("/up")), 200, UP, Duration.ofMillis(100),
                Duration.ofMillis(400));
        assertThat(r.results()).extracting(UrlHealth::url).containsExactly(url("/degraded"), url("/up"));
        assertThat(r.results().get(0).healthy()).isFalse();
        assertThat(r.results().get(0).lastError()).contains("body does not match");
        assertThat(r.results().get(1).healthy()).isTrue();
        assertThat(r.results().get(1).attempts()).as("a healthy URL is not probed again").isEqualTo(1);
        assertThat(r.unhealthy()).extracting(UrlHealth::url).containsExactly(url("/degraded"));
    }

    @Test
    void otherStatusesRedirectsRefusedAndHangingEndpoints() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        URI refused = URI.create("http://127.0.0.1:" + closed + "/health");
        long start = System.nanoTime();
        HealthReport r = check.check(List.of(url("/redirect"), refused, url("/hang")), 200, null,
                Duration.ofMillis(200), Duration.ofSeconds(1));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(r.results().get(0).lastError()).isEqualTo("status 302 (expected 200)");
        assertThat(r.results().get(1).status()).isEqualTo(-1);
        assertThat(r.results().get(1).lastError()).contains("ConnectException");
        assertThat(r.results().get(2).lastError()).startsWith("no response within");
        assertThat(took).as("a hanging endpoint does not hold the check past its deadline").isLessThan(4000L);

        // expecting another status is possible (e.g. 302 for an endpoint that must redirect)
        assertThat(check.check(List.of(url("/redirect")), 302, null, Duration.ofMillis(50), Duration.ofSeconds(5))
                .allHealthy()).isTrue();
    }

    @Test
    void badInputIsRejected() {
        Duration d = Duration.ofSeconds(1);
        assertThatThrownBy(() -> check.check(List.of(), 200, null, d, d))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one URL");
        assertThatThrownBy(() -> check.check(List.of(URI.create("ftp://h/x")), 200, null, d, d))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http(s)");
        assertThatThrownBy(() -> check.check(List.of(URI.create("/relative")), 200, null, d, d))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> check.check(List.of(url("/up")), 99, null, d, d))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100..599");
        assertThatThrownBy(() -> check.check(List.of(url("/up")), 200, null, Duration.ZERO, d))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("interval");
        assertThatThrownBy(() -> check.check(List.of(url("/up")), 200, null, d, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadline");
    }

    @Test
    void aStoppedStepEndsTheCheckAtOnceInsteadOfPollingToTheDeadline() throws Exception {
        // nothing listens on port 9 of this machine: every round fails, the check waits 30 s between rounds
        io.opsflow.step.exec.StepCancellation step = new io.opsflow.step.exec.StepCancellation();
        java.util.concurrent.CompletableFuture<Object> running = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (io.opsflow.step.exec.StepCancellation.Scope bound = io.opsflow.step.exec.StepCancellation.bind(step)) {
                return check.check(List.of(URI.create("http://127.0.0.1:9/health")), 200, null,
                        Duration.ofSeconds(30), Duration.ofMinutes(10));
            } catch (RuntimeException e) {
                return e;
            }
        });
        Thread.sleep(300); // in its first round or already waiting for the next
        step.cancel("lease lost");
        Object outcome = running.get(20, java.util.concurrent.TimeUnit.SECONDS); // not the 10-minute deadline
        assertThat(outcome).isInstanceOf(io.opsflow.step.exec.StepCancelledException.class);
        assertThat(((RuntimeException) outcome).getMessage()).contains("lease lost");

        // already stopped: no request at all
        assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (io.opsflow.step.exec.StepCancellation.Scope bound = io.opsflow.step.exec.StepCancellation.bind(step)) {
                check.check(List.of(URI.create("http://127.0.0.1:9/health")), 200, null, Duration.ofSeconds(1),
                        Duration.ofSeconds(5));
                return "ran";
            } catch (io.opsflow.step.exec.StepCancelledException e) {
                return "stopped";
            }
        }).get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("stopped");
    }
}
