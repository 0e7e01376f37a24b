package io.opsflow.step.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.Lazy;

/**
 * HTTP health check: {@code GET} every URL until it answers the expected status (and, when given, a body matching
 * the pattern, {@link java.util.regex.Matcher#find()} semantics), retrying every {@code interval} until
 * {@code deadline}. URLs are probed concurrently each round; a URL that became healthy is not probed again.
 * Redirects are not followed (a 302 to a login page is not "healthy"). Each request's timeout is capped by the time
 * left, so the check returns close to its deadline even when an endpoint hangs.
 */
@Component("httpHealthCheckStep") // "httpHealthCheck" is the delegate's name
public class HttpHealthCheck {
    static final int EXCERPT_CHARS = 500;
    private static final Duration MAX_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MIN_REQUEST_TIMEOUT = Duration.ofMillis(200);

    /** Built on the first check, not with the bean (the first java.net.http client costs ~0.1 s of a start). */
    private final Supplier<HttpClient> client;

    @Autowired
    public HttpHealthCheck() {
        this.client = new Lazy<>(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build());
    }

    public HttpHealthCheck(HttpClient client) {
        java.util.Objects.requireNonNull(client, "client");
        this.client = () -> client;
    }

    /** Whether the HTTP client exists yet (it is built on the first check). */
    boolean clientBuilt() {
        return !(client instanceof Lazy<?> lazy) || lazy.built();
    }

    public HealthReport check(List<URI> urls, int expectedStatus, Pattern bodyPattern, Duration interval,
                              Duration deadline) {
        return check(urls, expectedStatus, bodyPattern, interval, deadline, StepLogs.noop());
    }

    public HealthReport check(List<URI> urls, int expectedStatus, Pattern bodyPattern, Duration interval,
                              Duration deadline, StepLog log) {
        validate(urls, expectedStatus, interval, deadline);
        long end = System.nanoTime() + deadline.toNanos();
        Map<URI, State> states = new LinkedHashMap<>();
        for (URI u : urls) {
            states.putIfAbsent(u, new State(u));
        }
        log.line("step", "health check of " + states.size() + " URL(s): expect " + expectedStatus
                + (bodyPattern == null ? "" : " and body matching /" + bodyPattern + "/") + ", every "
                + interval.toMillis() + " ms, deadline " + deadline);
        // a lost lease stops the step here too: between rounds, in a round's requests and in the wait between them
        StepCancellation cancellation = StepCancellation.current();
        CountDownLatch stopped = new CountDownLatch(1);
        try (StepCancellation.Registration wake = cancellation.onCancel(stopped::countDown)) {
            while (true) {
                cancellation.throwIfCancelled("health check");
                List<State> pending = states.values().stream().filter(s -> !s.healthy).toList();
                long left = end - System.nanoTime();
                if (pending.isEmpty() || left <= 0) {
                    break;
                }
                Duration requestTimeout = Duration.ofNanos(Math.max(MIN_REQUEST_TIMEOUT.toNanos(),
                        Math.min(left, MAX_REQUEST_TIMEOUT.toNanos())));
                List<CompletableFuture<Void>> round = new ArrayList<>();
                for (State s : pending) {
                    round.add(probe(s, expectedStatus, bodyPattern, requestTimeout, log));
                }
                CompletableFuture<Void> all = CompletableFuture.allOf(round.toArray(CompletableFuture[]::new));
                try (StepCancellation.Registration abort = cancellation.onCancel(() -> all.cancel(true))) {
                    all.get();
                } catch (CancellationException e) {
                    round.forEach(f -> f.cancel(true));
                    cancellation.throwIfCancelled("health check");
                    throw new IllegalStateException("health check cancelled", e);
                } catch (InterruptedException e) {
                    round.forEach(f -> f.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("health check interrupted", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("health check failed unexpectedly", e.getCause());
                }
                if (states.values().stream().allMatch(s -> s.healthy)) {
                    break;
                }
                long sleep = Math.min(interval.toNanos(), end - System.nanoTime());
                if (sleep <= 0) {
                    break;
                }
                try {
                    if (stopped.await(sleep, TimeUnit.NANOSECONDS)) {
                        cancellation.throwIfCancelled("health check");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("health check interrupted", e);
                }
            }
        }
        List<UrlHealth> results = new ArrayList<>();
        for (URI u : urls) {
            State s = states.get(u);
            results.add(new UrlHealth(u, s.healthy, s.status, s.attempts, s.healthy ? null : s.lastError,
                    s.bodyExcerpt));
        }
        HealthReport report = new HealthReport(results);
        for (UrlHealth r : report.results()) {
            log.line("step", r.url() + ": " + (r.healthy() ? "HEALTHY" : "UNHEALTHY (" + r.lastError() + ")")
                    + " after " + r.attempts() + " attempt(s)");
        }
        return report;
    }

    private CompletableFuture<Void> probe(State s, int expectedStatus, Pattern bodyPattern, Duration timeout,
                                          StepLog log) {
        HttpRequest req = HttpRequest.newBuilder(s.url).GET().timeout(timeout)
                .header("User-Agent", "opsflow-health-check").build();
        s.attempts++;
        int attempt = s.attempts;
        return client.get().sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((resp, err) -> {
                    if (err != null) {
                        Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause()
                                : err;
                        s.lastError = c instanceof HttpTimeoutException ? "no response within "
                                + timeout.toMillis() + " ms" : describe(c);
                        log.line("step", "GET " + s.url + " attempt " + attempt + ": " + s.lastError);
                        return null;
                    }
                    s.status = resp.statusCode();
                    String body = resp.body() == null ? "" : resp.body();
                    s.bodyExcerpt = body.length() > EXCERPT_CHARS ? body.substring(0, EXCERPT_CHARS) + "…" : body;
                    if (s.status != expectedStatus) {
                        s.lastError = "status " + s.status + " (expected " + expectedStatus + ")";
                    } else if (bodyPattern != null && !bodyPattern.matcher(body).find()) {
                        s.lastError = "status " + s.status + " but the body does not match /" + bodyPattern + "/";
                    } else {
                        s.healthy = true;
                        s.lastError = null;
                    }
                    log.line("step", "GET " + s.url + " attempt " + attempt + ": " + s.status
                            + (s.healthy ? " healthy" : " - " + s.lastError));
                    return null;
                });
    }

    private static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.ConnectException) {
                return "ConnectException: connection refused or unreachable"
                        + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")");
            }
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                return c.getClass().getSimpleName() + ": " + c.getMessage();
            }
        }
        return t.getClass().getSimpleName();
    }

    private static void validate(List<URI> urls, int expectedStatus, Duration interval, Duration deadline) {
        if (urls == null || urls.isEmpty()) {
            throw new IllegalArgumentException("health check needs at least one URL");
        }
        for (URI u : urls) {
            if (u == null || u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http")
                    || u.getScheme().equalsIgnoreCase("https")) || u.getHost() == null) {
                throw new IllegalArgumentException("health check URL must be an absolute http(s) URL with a host: "
                        + u);
            }
        }
        if (expectedStatus < 100 || expectedStatus > 599) {
            throw new IllegalArgumentException("expected status must be an HTTP status 100..599: " + expectedStatus);
        }
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("health check interval must be positive: " + interval);
        }
        if (deadline == null || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("health check deadline must be positive: " + deadline);
        }
    }

    /** Mutable per-URL progress; touched by one probe at a time (rounds are joined before the next). */
    private static final class State {
        final URI url;
        volatile boolean healthy;
        volatile int status = -1;
        volatile int attempts;
        volatile String lastError = "not checked";
        volatile String bodyExcerpt;

        State(URI url) {
            this.url = url;
        }
    }
}
