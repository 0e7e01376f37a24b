package io.opsflow.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The load balancer of one sandbox environment: an HTTP reverse proxy on 127.0.0.1 with the admin API of the shared
 * contract (docs/contracts.md) under {@code /_lb/}. Pools of backends; active health checks ({@code GET <backend>/health} every interval);
 * only healthy, not drained backends (and, when the pool has an active colour, only that colour) get traffic, round
 * robin; 503 when none. {@code GET /...} goes to pool {@code webapp}, {@code GET /<pool>/...} to that pool (prefix
 * stripped). The pool configuration is kept in a JSON file so it survives restarts; health is always probed anew.
 * Every backend reports {@code inFlight}: the requests it has been given and not yet finished answering (a drained
 * backend gets no new ones but finishes these), so a drain can wait until it is idle instead of guessing a delay.
 */
public final class SandboxLoadBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxLoadBalancer.class);
    public static final String DEFAULT_POOL = "webapp";
    public static final String BACKEND_HEADER = "X-Opsflow-Backend";
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Pattern COLOR = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern BACKEND_URL = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?");
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
            "date");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);
    private static final int FALL_AFTER_TIMEOUTS = 2;

    private final String environment;
    private final Path stateFile;
    private final Duration healthInterval;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final HttpClient client;
    private HttpServer server;
    private ExecutorService requestExecutor;
    private ScheduledExecutorService scheduler;
    /** backend id (null: no backend) → the access log file for requests it served; null: no access log. */
    private volatile java.util.function.Function<String, Path> accessLogs;

    public SandboxLoadBalancer(String environment, Path stateFile, Duration healthInterval) {
        this.environment = environment;
        this.stateFile = stateFile.toAbsolutePath().normalize();
        this.healthInterval = healthInterval;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    // ------------------------------------------------------------------ lifecycle

    /** Loads the persisted pools and starts listening on {@code preferredPort} (0 or taken = a free port). */
    public synchronized void start(int preferredPort) throws IOException {
        if (server != null) {
            return;
        }
        load();
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", preferredPort), 64);
        } catch (BindException e) {
            if (preferredPort == 0) {
                throw e;
            }
            LOG.warn("sandbox load balancer {}: port {} is taken, using a free port instead", environment, preferredPort);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        }
        requestExecutor = Executors.newCachedThreadPool(daemon("sandbox-lb-" + environment));
        server.setExecutor(requestExecutor);
        server.createContext("/", this::handle);
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("sandbox-lb-" + environment + "-health"));
        checkAll();
        scheduler.scheduleWithFixedDelay(this::checkAll, healthInterval.toMillis(), healthInterval.toMillis(),
                TimeUnit.MILLISECONDS);
        server.start();
        LOG.info("sandbox load balancer {} listening on {}", environment, url());
    }

    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.stop(0);
        scheduler.shutdownNow();
        requestExecutor.shutdownNow();
        server = null;
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("load balancer " + environment + " is not running");
        }
        return server.getAddress().getPort();
    }

    /** Where clients send traffic. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Base URL of the admin API (the contract's paths {@code /_lb/...} are relative to it). */
    public String apiUrl() {
        return url();
    }

    public String environment() {
        return environment;
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------ model

    private static final class Pool {
        String active; // colour that gets traffic, null = all
        final Map<String, Backend> backends = new LinkedHashMap<>();
        int next;
    }

    private static final class Backend {
        final String id;
        String url;
        String color;
        boolean drained;
        volatile boolean healthy;
        volatile String lastError = "not checked yet";
        volatile Instant lastCheck;
        volatile boolean checking;
        volatile int timeouts; // consecutive health checks that timed out
        final AtomicInteger inFlight = new AtomicInteger(); // proxied requests not yet answered to the client

        Backend(String id, String url, String color) {
            this.id = id;
            this.url = url;
            this.color = color;
        }
    }

    /** Current pools as the admin API reports them. */
    public synchronized ObjectNode poolsJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode ps = root.putObject("pools");
        pools.forEach((name, pool) -> ps.set(name, poolJson(pool)));
        return root;
    }

    private ObjectNode poolJson(Pool pool) {
        ObjectNode p = JSON.createObjectNode();
        p.put("active", pool.active);
        ArrayNode bs = p.putArray("backends");
        for (Backend b : pool.backends.values()) {
            ObjectNode o = bs.addObject();
            o.put("id", b.id);
            o.put("url", b.url);
            o.put("color", b.color);
            o.put("state", b.drained ? "drained" : "active");
            o.put("healthy", b.healthy);
            o.put("lastCheck", b.lastCheck == null ? null : b.lastCheck.toString());
            o.put("lastError", b.healthy ? null : b.lastError);
            o.put("inFlight", b.inFlight.get());
        }
        return p;
    }

    // ------------------------------------------------------------------ admin operations (also used in-process)

    /** Adds or updates a backend (creating the pool); an existing backend keeps its drain state. */
    public ObjectNode putBackend(String pool, String id, String url, String color) {
        requireId("pool", pool);
        requireId("backend", id);
        if (url == null || !BACKEND_URL.matcher(url).matches()) {
            throw new BadRequest("url must be http(s)://host[:port], got " + url);
        }
        if (color != null && !COLOR.matcher(color).matches()) {
            throw new BadRequest("color must match " + COLOR.pattern() + ", got " + color);
        }
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        Backend b;
        synchronized (this) {
            Pool p = pools.computeIfAbsent(pool, k -> new Pool());
            b = p.backends.get(id);
            if (b == null) {
                b = new Backend(id, u, color);
                p.backends.put(id, b);
            } else if (!u.equals(b.url) || !java.util.Objects.equals(color, b.color)) {
                b.url = u;
                b.color = color;
                b.healthy = false;
                b.lastError = "not checked yet";
            }
            save();
        }
        check(b);
        synchronized (this) {
            return poolJson(pools.get(pool));
        }
    }

    /** Removes a backend; true when it existed (removing a missing one is not an error: idempotent). */
    public synchronized boolean removeBackend(String pool, String id) {
        requireId("pool", pool);
        requireId("backend", id);
        Pool p = pools.get(pool);
        if (p == null || p.backends.remove(id) == null) {
            return false;
        }
        save();
        return true;
    }

    public synchronized ObjectNode setDrained(String pool, String id, boolean drained) {
        Backend b = backend(pool, id);
        if (b.drained != drained) {
            b.drained = drained;
            save();
        }
        return poolJson(pools.get(pool));
    }

    /** Only backends of {@code color} get traffic from now on; null = all colours. */
    public synchronized ObjectNode switchTo(String pool, String color) {
        requireId("pool", pool);
        Pool p = pools.get(pool);
        if (p == null) {
            throw new NotFound("no pool " + pool);
        }
        if (color != null) {
            if (!COLOR.matcher(color).matches()) {
                throw new BadRequest("color must match " + COLOR.pattern() + ", got " + color);
            }
            if (p.backends.values().stream().noneMatch(b -> color.equals(b.color))) {
                throw new Conflict("pool " + pool + " has no backend of color " + color + "; nothing changed");
            }
        }
        if (!java.util.Objects.equals(p.active, color)) {
            LOG.info("sandbox load balancer {}: pool {} switched {} -> {}", environment, pool, p.active, color);
            p.active = color;
            save();
        }
        return poolJson(p);
    }

    private Backend backend(String pool, String id) {
        requireId("pool", pool);
        requireId("backend", id);
        Pool p = pools.get(pool);
        Backend b = p == null ? null : p.backends.get(id);
        if (b == null) {
            throw new NotFound("no backend " + id + " in pool " + pool);
        }
        return b;
    }

    private static void requireId(String what, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new BadRequest(what + " must match " + ID.pattern() + ", got " + value);
        }
    }

    static class ApiException extends RuntimeException {
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    static final class BadRequest extends ApiException {
        BadRequest(String m) {
            super(400, m);
        }
    }

    static final class NotFound extends ApiException {
        NotFound(String m) {
            super(404, m);
        }
    }

    static final class Conflict extends ApiException {
        Conflict(String m) {
            super(409, m);
        }
    }

    // ------------------------------------------------------------------ persistence

    private synchronized void load() throws IOException {
        pools.clear();
        if (!Files.isRegularFile(stateFile)) {
            return;
        }
        JsonNode root = JSON.readTree(stateFile.toFile());
        root.path("pools").fields().forEachRemaining(e -> {
            Pool p = new Pool();
            JsonNode active = e.getValue().path("active");
            p.active = active.isTextual() ? active.asText() : null;
            for (JsonNode b : e.getValue().path("backends")) {
                Backend be = new Backend(b.path("id").asText(), b.path("url").asText(),
                        b.path("color").isTextual() ? b.path("color").asText() : null);
                be.drained = "drained".equals(b.path("state").asText());
                p.backends.put(be.id, be);
            }
            pools.put(e.getKey(), p);
        });
    }

    private void save() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode ps = root.putObject("pools");
        pools.forEach((name, pool) -> {
            ObjectNode p = ps.putObject(name);
            p.put("active", pool.active);
            ArrayNode bs = p.putArray("backends");
            pool.backends.values().forEach(b -> bs.addObject().put("id", b.id).put("url", b.url).put("color", b.color)
                    .put("state", b.drained ? "drained" : "active"));
        });
        try {
            SandboxKeys.writeAtomically(stateFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new IllegalStateException("cannot save the load balancer state to " + stateFile + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ health checks

    private void checkAll() {
        List<Backend> all = new ArrayList<>();
        synchronized (this) {
            pools.values().forEach(p -> all.addAll(p.backends.values()));
        }
        all.forEach(this::check);
    }

    private void check(Backend b) {
        if (b.checking) {
            return;
        }
        b.checking = true;
        String url = b.url;
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(URI.create(url + "/health")).timeout(CHECK_TIMEOUT).GET().build();
        } catch (IllegalArgumentException e) {
            b.checking = false;
            mark(b, false, "invalid url " + url);
            return;
        }
        client.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, err) -> {
            b.checking = false;
            if (!url.equals(b.url)) {
                return; // re-pointed meanwhile
            }
            if (err != null) {
                Throwable c = err.getCause() != null ? err.getCause() : err;
                String why = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
                // a slow answer on a busy machine is not yet a dead backend: two timeouts in a row are (HAProxy's
                // "fall"); refused connections and error statuses count at once
                if (c instanceof java.net.http.HttpTimeoutException && !(c instanceof HttpConnectTimeoutException)
                        && b.healthy && ++b.timeouts < FALL_AFTER_TIMEOUTS) {
                    b.lastError = why;
                    return;
                }
                mark(b, false, why);
            } else if (resp.statusCode() / 100 == 2) {
                mark(b, true, null);
            } else {
                mark(b, false, "GET /health answered " + resp.statusCode());
            }
        });
    }

    private void mark(Backend b, boolean healthy, String error) {
        if (healthy) {
            b.timeouts = 0;
        }
        if (b.healthy != healthy) {
            LOG.info("sandbox load balancer {}: backend {} ({}) is now {}{}", environment, b.id, b.url,
                    healthy ? "healthy" : "unhealthy", error == null ? "" : ": " + error);
        }
        b.healthy = healthy;
        b.lastError = error;
        b.lastCheck = Instant.now();
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            try {
                if (path.equals("/_lb") || path.startsWith("/_lb/")) {
                    admin(ex, path);
                } else {
                    proxy(ex);
                }
            } catch (ApiException e) {
                send(ex, e.status, error(e.getMessage()));
            } catch (IOException e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.warn("sandbox load balancer {}: {} {} failed", environment, ex.getRequestMethod(), path, e);
                send(ex, 500, error(e.toString()));
            }
        }
    }

    private static ObjectNode error(String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ok", false);
        o.put("error", message);
        return o;
    }

    private void admin(HttpExchange ex, String path) throws IOException {
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        String[] seg = path.substring(1).split("/", -1);
        // seg[0] = "_lb"
        if (seg.length == 2 && seg[1].equals("pools")) {
            allow(method, "GET");
            send(ex, 200, poolsJson());
            return;
        }
        if (seg.length >= 3 && seg[1].equals("pools")) {
            String pool = seg[2];
            if (seg.length == 3) {
                allow(method, "GET");
                ObjectNode all = poolsJson();
                JsonNode p = all.path("pools").get(pool);
                if (p == null) {
                    throw new NotFound("no pool " + pool);
                }
                send(ex, 200, p);
                return;
            }
            if (seg.length == 4 && seg[3].equals("switch")) {
                allow(method, "POST");
                JsonNode body = body(ex);
                JsonNode color = body.get("color");
                if (color == null || !(color.isTextual() || color.isNull())) {
                    throw new BadRequest("body must be {\"color\":\"<color>\"} (or null for all colours)");
                }
                send(ex, 200, ok(pool, switchTo(pool, color.isNull() ? null : color.asText())));
                return;
            }
            if ((seg.length == 5 || seg.length == 6) && seg[3].equals("backends")) {
                String id = seg[4];
                if (seg.length == 6) {
                    allow(method, "POST");
                    switch (seg[5]) {
                        case "drain" -> send(ex, 200, ok(pool, setDrained(pool, id, true)));
                        case "undrain" -> send(ex, 200, ok(pool, setDrained(pool, id, false)));
                        default -> throw new NotFound("unknown operation " + seg[5] + " (drain|undrain)");
                    }
                    return;
                }
                switch (method) {
                    case "PUT" -> {
                        JsonNode body = body(ex);
                        JsonNode url = body.get("url");
                        JsonNode color = body.get("color");
                        if (url == null || !url.isTextual()) {
                            throw new BadRequest("body must be {\"url\":\"http://host:port\",\"color\":\"blue\"}");
                        }
                        send(ex, 200, ok(pool, putBackend(pool, id, url.asText(),
                                color == null || color.isNull() ? null : color.asText())));
                    }
                    case "DELETE" -> {
                        boolean removed = removeBackend(pool, id);
                        ObjectNode o = JSON.createObjectNode();
                        o.put("ok", true);
                        o.put("pool", pool);
                        o.put("backend", id);
                        o.put("removed", removed);
                        send(ex, 200, o);
                    }
                    case "GET" -> {
                        JsonNode found = null;
                        synchronized (this) {
                            backend(pool, id);
                            for (JsonNode n : poolJson(pools.get(pool)).path("backends")) {
                                if (id.equals(n.path("id").asText())) {
                                    found = n;
                                }
                            }
                        }
                        send(ex, 200, found);
                    }
                    default -> throw new ApiException(405, "method " + method + " not allowed here");
                }
                return;
            }
        }
        throw new NotFound("unknown admin path " + path);
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiException(405, "method " + method + " not allowed here (" + allowed + ")");
        }
    }

    private static ObjectNode ok(String pool, ObjectNode poolJson) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ok", true);
        o.put("pool", pool);
        o.setAll(poolJson);
        return o;
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        byte[] b;
        try (InputStream in = ex.getRequestBody()) {
            b = in.readNBytes(64 * 1024);
        }
        if (b.length == 0) {
            throw new BadRequest("a JSON body is required");
        }
        try {
            JsonNode n = JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw new BadRequest("the body must be a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private record Route(String pool, String path) {
    }

    private synchronized Route route(String rawPath) {
        String rest = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        if (!first.isEmpty() && pools.containsKey(first)) {
            return new Route(first, slash < 0 ? "/" : rest.substring(slash));
        }
        return new Route(DEFAULT_POOL, rawPath.isEmpty() ? "/" : rawPath);
    }

    /** Healthy, not drained backends of the active colour, in round-robin order starting at the pool's cursor. */
    private synchronized List<Backend> candidates(String poolName) {
        Pool p = pools.get(poolName);
        if (p == null) {
            return List.of();
        }
        List<Backend> eligible = new ArrayList<>();
        for (Backend b : p.backends.values()) {
            if (b.healthy && !b.drained && (p.active == null || p.active.equals(b.color))) {
                eligible.add(b);
            }
        }
        if (eligible.isEmpty()) {
            return eligible;
        }
        int start = Math.floorMod(p.next++, eligible.size());
        List<Backend> ordered = new ArrayList<>(eligible.size());
        for (int i = 0; i < eligible.size(); i++) {
            ordered.add(eligible.get((start + i) % eligible.size()));
        }
        return ordered;
    }

    /**
     * Writes one access line per proxied request, HAProxy-like, to the file {@code files} names for the backend that
     * served it ({@code null} for requests no backend got: {@code <NOSRV>}):
     * {@code 2026-12-06T21:10:00.123Z haproxy[staging]: 127.0.0.1 "GET /x HTTP/1.1" webapp/staging-web-1-blue 500 12ms}.
     */
    public void accessLogs(java.util.function.Function<String, Path> files) {
        this.accessLogs = files;
    }

    private void access(HttpExchange ex, String pool, String backend, int status, long startNanos) {
        var files = accessLogs;
        Path file = files == null ? null : files.apply(backend);
        if (file == null) {
            return;
        }
        String line = Instant.now() + " haproxy[" + environment + "]: "
                + ex.getRemoteAddress().getAddress().getHostAddress() + " \"" + ex.getRequestMethod() + " "
                + ex.getRequestURI().getRawPath() + " HTTP/1.1\" " + pool + "/" + (backend == null ? "<NOSRV>" : backend)
                + " " + status + " " + (System.nanoTime() - startNanos) / 1_000_000 + "ms\n";
        synchronized (this) {
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                LOG.debug("load balancer {}: cannot write access log {}: {}", environment, file, e.toString());
            }
        }
    }

    private void proxy(HttpExchange ex) throws IOException {
        long t0 = System.nanoTime();
        Route route = route(ex.getRequestURI().getRawPath());
        String query = ex.getRequestURI().getRawQuery();
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        List<Backend> candidates = candidates(route.pool());
        if (candidates.isEmpty()) {
            sendText(ex, 503, "503 no healthy backend in pool " + route.pool() + " of load balancer " + environment + "\n");
            access(ex, route.pool(), null, 503, t0);
            return;
        }
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        for (Backend b : candidates) {
            URI target = URI.create(b.url + route.path() + (query == null ? "" : "?" + query));
            HttpRequest.Builder rb = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(60))
                    .method(method, body.length == 0 && (method.equals("GET") || method.equals("HEAD")
                            || method.equals("DELETE"))
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase(Locale.ROOT))) {
                    vs.forEach(v -> rb.header(k, v));
                }
            });
            rb.header("X-Forwarded-For", ex.getRemoteAddress().getAddress().getHostAddress());
            String host = ex.getRequestHeaders().getFirst("Host");
            if (host != null) {
                rb.header("X-Forwarded-Host", host);
            }
            b.inFlight.incrementAndGet();
            try {
                int status = answer(ex, route, method, b, rb.build());
                if (status > 0) {
                    access(ex, route.pool(), b.id, status, t0);
                    return;
                }
            } finally {
                b.inFlight.decrementAndGet();
            }
        }
        sendText(ex, 503, "503 no reachable backend in pool " + route.pool() + " of load balancer " + environment + "\n");
        access(ex, route.pool(), null, 503, t0);
    }

    /**
     * Sends one request to backend {@code b} and its answer to the client. 0 when the backend could not be
     * reached (it is marked unhealthy and the caller tries the next one); the status the client got otherwise.
     */
    private int answer(HttpExchange ex, Route route, String method, Backend b, HttpRequest request)
            throws IOException {
        HttpResponse<byte[]> resp;
        try {
            resp = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            // never reached the backend: take it out at once and try the next one (like HAProxy's redispatch)
            mark(b, false, "connect failed: " + e);
            return 0;
        } catch (IOException e) {
            sendText(ex, 502, "502 backend " + b.id + " failed: " + e + "\n");
            return 502;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sendText(ex, 503, "503 interrupted\n");
            return 503;
        }
        resp.headers().map().forEach((k, vs) -> {
            if (!HOP_BY_HOP.contains(k.toLowerCase(Locale.ROOT))) {
                vs.forEach(v -> ex.getResponseHeaders().add(k, v));
            }
        });
        ex.getResponseHeaders().set(BACKEND_HEADER, route.pool() + "/" + b.id);
        byte[] rbody = resp.body();
        boolean noBody = method.equals("HEAD") || resp.statusCode() == 204 || resp.statusCode() == 304;
        ex.sendResponseHeaders(resp.statusCode(), noBody ? -1 : (rbody.length == 0 ? -1 : rbody.length));
        if (!noBody && rbody.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(rbody);
            }
        }
        return resp.statusCode();
    }

    private static void sendText(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
