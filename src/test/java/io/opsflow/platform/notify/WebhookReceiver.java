package io.opsflow.platform.notify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP receiver for webhook tests (the JDK's HttpServer on a free loopback port): records every POST (path,
 * Authorization header, JSON body) and answers {@link #status}; with {@link #hang()} it holds every request until
 * {@link #release()}.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Received(String path, String authorization, JsonNode body) {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile CountDownLatch hold;

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    JSON.readTree(new String(body, StandardCharsets.UTF_8))));
            CountDownLatch h = hold;
            if (h != null) {
                try {
                    h.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public void status(int status) {
        this.status = status;
    }

    public void hang() {
        hold = new CountDownLatch(1);
    }

    public void release() {
        CountDownLatch h = hold;
        hold = null;
        if (h != null) {
            h.countDown();
        }
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Received> received(Predicate<Received> which) {
        return received.stream().filter(which).toList();
    }

    public void clear() {
        received.clear();
    }

    /** Waits until {@code count} requests match (30 s at most, then fails saying what arrived). */
    public List<Received> await(Predicate<Received> which, int count) {
        waitFor(() -> received(which).size() >= count, () -> "expected " + count + " matching request(s); got "
                + received.stream().map(r -> r.body().path("event").asText(r.body().path("text").asText()))
                .toList());
        return received(which);
    }

    /** Waits for a condition, 30 s at most (a deadline, not a timing assertion). */
    public static void waitFor(BooleanSupplier condition, java.util.function.Supplier<String> failure) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(failure.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    public static Predicate<Received> event(String event, String runId) {
        return r -> event.equals(r.body().path("event").asText()) && runId.equals(r.body().path("runId").asText());
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        threads.shutdownNow();
    }
}
