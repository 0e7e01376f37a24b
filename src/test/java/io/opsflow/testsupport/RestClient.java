package io.opsflow.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A tiny HTTP client for ITs: Basic auth as a given user (or none), JSON in and out. */
public final class RestClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String user;

    public RestClient(String base, String user) {
        this.base = base;
        this.user = user;
    }

    public static RestClient anonymous(int port) {
        return new RestClient("http://127.0.0.1:" + port, null);
    }

    /** Sandbox users have password = user id. */
    public static RestClient as(int port, String user) {
        return new RestClient("http://127.0.0.1:" + port, user);
    }

    public Response get(String path) {
        return send(builder(path).GET());
    }

    /** GET of an absolute URL (an application instance, a load balancer), without credentials. */
    public Response getAbsolute(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET());
    }

    /**
     * The version an application instance or load balancer at {@code base} answers on {@code /version}: the version,
     * "HTTP nnn" for another status, "down" when nothing answers.
     */
    public static String versionAt(String base) {
        try {
            Response r = new RestClient(base, null).getAbsolute(base + "/version");
            return r.status() == 200 ? r.json().get("version").asText() : "HTTP " + r.status();
        } catch (RuntimeException down) {
            return "down";
        }
    }

    public Response post(String path, Object body) {
        return send(builder(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(toJson(body))));
    }

    public Response delete(String path) {
        return send(builder(path).DELETE());
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (user != null) {
            String token = Base64.getEncoder().encodeToString((user + ":" + user).getBytes(StandardCharsets.UTF_8));
            b.header("Authorization", "Basic " + token);
        }
        return b;
    }

    private Response send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String toJson(Object body) {
        try {
            return body instanceof String s ? s : JSON.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new IllegalStateException("not JSON (" + status + "): " + body, e);
            }
        }
    }

    /** Camunda REST variable map: {"name": {"value": v}}. */
    public static java.util.Map<String, Object> variables(Object... kv) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], java.util.Map.of("value", kv[i + 1]));
        }
        return java.util.Map.of("variables", m);
    }
}
