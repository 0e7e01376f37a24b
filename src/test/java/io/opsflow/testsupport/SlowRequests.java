package io.opsflow.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Slow requests through a sandbox load balancer ({@code POST /work?seconds=S} of the sandbox apps), for proving what
 * a drain does with requests in flight. POST because a proxy or HTTP client never re-sends one: a request cut off by
 * a stopping instance shows as a 502 instead of being retried elsewhere.
 */
public final class SlowRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SlowRequests() {
    }

    /**
     * Sends n slow requests to pool {@code webapp} of the load balancer at {@code lbUrl} and returns once the load
     * balancer counts all n in flight (its {@code /_lb/pools} {@code inFlight}).
     */
    public static List<CompletableFuture<HttpResponse<String>>> inFlight(String lbUrl, int n, int seconds) {
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(http.sendAsync(HttpRequest.newBuilder(URI.create(lbUrl + "/work?seconds=" + seconds))
                    .POST(HttpRequest.BodyPublishers.ofString("job=" + i)).timeout(Duration.ofSeconds(seconds + 60))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(Math.max(1, seconds - 1)).toNanos();
        while (counted(http, lbUrl) < n) {
            assertThat(System.nanoTime()).as("%d slow requests in flight", n).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private static int counted(HttpClient http, String lbUrl) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(lbUrl + "/_lb/pools/webapp"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            int sum = 0;
            for (JsonNode b : JSON.readTree(r.body()).path("backends")) {
                sum += b.path("inFlight").asInt();
            }
            return sum;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the pools of " + lbUrl + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
