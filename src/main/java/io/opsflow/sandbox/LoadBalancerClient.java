package io.opsflow.sandbox;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A minimal client of the load balancer admin API (docs/contracts.md) used by the fleet's bootstrap. */
final class LoadBalancerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LoadBalancerClient() {
    }

    static void put(String apiUrl, String pool, String id, String url, String color) {
        ObjectNode body = JSON.createObjectNode().put("url", url).put("color", color);
        call("PUT", apiUrl + "/_lb/pools/" + enc(pool) + "/backends/" + enc(id), body.toString());
    }

    static void switchTo(String apiUrl, String pool, String color) {
        call("POST", apiUrl + "/_lb/pools/" + enc(pool) + "/switch", JSON.createObjectNode().put("color", color)
                .toString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void call(String method, String url, String body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + method + " " + url, e);
        }
    }
}
