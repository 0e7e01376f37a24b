package io.opsflow.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.opsflow.step.exec.StepLogs;

/**
 * The Loki source against a real HTTP server on loopback that answers {@code GET /loki/api/v1/query_range} the way
 * Loki does (streams of {@code [nanoseconds, line]} with their labels, {@code limit}, {@code direction=forward},
 * {@code start}/{@code end} in nanoseconds): Loki itself is not a Debian package, this double speaks its format.
 */
class LokiLogSourceTest {
    static final Instant T0 = Instant.parse("2026-12-06T21:00:00Z");

    HttpServer server;
    final List<Map<String, String>> queries = new CopyOnWriteArrayList<>();
    /** Every entry the "Loki" holds: ns, labels, line. */
    final List<Object[]> entries = new ArrayList<>();
    int status = 200;

    @BeforeEach
    void loki() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/loki/api/v1/query_range", this::queryRange);
        server.start();
        for (int i = 0; i < 5; i++) {
            entries.add(new Object[] {ns(T0.plusSeconds(i)), Map.of("env", "staging", "host", "staging-web-1", "app",
                    "webapp", "instance", "blue"), T0.plusSeconds(i) + " ERROR webapp 2.0.0-broken blue: failed " + i});
        }
        entries.add(new Object[] {ns(T0.plusSeconds(2)), Map.of("env", "staging", "host", "staging-web-2", "job", "lb"),
                T0.plusSeconds(2) + " haproxy[staging]: 1.2.3.4 \"GET / HTTP/1.1\" webapp/staging-web-2-blue 503 3ms"});
        entries.add(new Object[] {ns(T0.plusSeconds(3)), Map.of("env", "staging", "host", "staging-web-2", "app",
                "api", "instance", "blue"), T0.plusSeconds(3) + " ERROR api 1.0.0 blue: not ours"});
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static long ns(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    void queryRange(HttpExchange ex) throws IOException {
        Map<String, String> q = new LinkedHashMap<>();
        for (String pair : ex.getRequestURI().getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        queries.add(q);
        if (status != 200) {
            send(ex, status, "parse error at line 1, col 1: syntax error");
            return;
        }
        long start = Long.parseLong(q.get("start"));
        long end = Long.parseLong(q.get("end"));
        int limit = Integer.parseInt(q.get("limit"));
        List<Object[]> hits = entries.stream().filter(e -> (long) e[0] >= start && (long) e[0] <= end)
                .sorted((a, b) -> Long.compare((long) a[0], (long) b[0])).limit(limit).toList();
        ObjectNode body = ReportRenderer.JSON.createObjectNode();
        body.put("status", "success");
        ObjectNode data = body.putObject("data");
        data.put("resultType", "streams");
        ArrayNode result = data.putArray("result");
        Map<Object, ArrayNode> byStream = new LinkedHashMap<>();
        for (Object[] e : hits) {
            ArrayNode values = byStream.computeIfAbsent(e[1], labels -> {
                ObjectNode s = result.addObject();
                @SuppressWarnings("unchecked")
                Map<String, String> l = (Map<String, String>) labels;
                ObjectNode stream = s.putObject("stream");
                l.forEach(stream::put);
                return s.putArray("values");
            });
            values.addArray().add(String.valueOf(e[0])).add((String) e[2]);
        }
        data.putObject("stats");
        send(ex, 200, ReportRenderer.JSON.writeValueAsString(body));
    }

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", status == 200 ? "application/json" : "text/plain");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FleetLogSources source(int limit) {
        LogsProperties p = new LogsProperties();
        p.setLokiLimit(limit);
        p.getLoki().put("staging", url());
        return new FleetLogSources(null, p);
    }

    @Test
    void theWindowIsReadForwardInPagesWithOnlyTheAskedApplicationAndHosts() {
        List<String> lines = new ArrayList<>();
        LogSources.Collected c = source(2).fromLoki(url(), "staging", List.of("staging-web-1", "staging-web-2"),
                "webapp", T0, T0.plusSeconds(60), lines::add, StepLogs.noop());

        assertThat(lines).hasSize(6).allSatisfy(l -> assertThat(l).doesNotContain("not ours"));
        assertThat(lines.get(0)).isEqualTo("staging-web-1\tapp:webapp/blue\t" + T0
                + " ERROR webapp 2.0.0-broken blue: failed 0");
        assertThat(lines).contains("staging-web-2\tlb:loki\t" + T0.plusSeconds(2)
                + " haproxy[staging]: 1.2.3.4 \"GET / HTTP/1.1\" webapp/staging-web-2-blue 503 3ms");
        assertThat(c.lines()).isEqualTo(6);
        assertThat(c.truncated()).isFalse();
        // pages of 2, each starting after the last line of the one before; the query is built from names only
        assertThat(queries).hasSizeGreaterThan(2);
        assertThat(queries.get(0)).containsEntry("query", "{env=\"staging\"}").containsEntry("direction", "forward")
                .containsEntry("start", String.valueOf(ns(T0))).containsEntry("limit", "2");
        assertThat(Long.parseLong(queries.get(1).get("start"))).isEqualTo(ns(T0.plusSeconds(1)) + 1);

        // the lines analyse like those collected over SSH
        LogAnalyzer a = new LogAnalyzer(T0, T0.plusSeconds(60), 1000, LogPatterns.none(),
                List.of("staging-web-1", "staging-web-2"));
        lines.forEach(a::accept);
        LogReport r = a.report("run", "staging", "webapp", "loki", List.of());
        assertThat(r.hosts().get(0).errors()).isEqualTo(5);
        assertThat(r.hosts().get(1).lb5xx()).isEqualTo(1);
        assertThat(r.topSignatures().get(0).signature()).isEqualTo("failed <n>");
    }

    @Test
    void hostsNotAskedForAreLeftOutAndTheSizeLimitCutsTheWindowShort() {
        List<String> lines = new ArrayList<>();
        LogsProperties p = new LogsProperties();
        p.setMaxBytesPerHost(200);
        LogSources.Collected c = new FleetLogSources(null, p).fromLoki(url(), "staging", List.of("staging-web-1"),
                null, T0, T0.plusSeconds(60), lines::add, StepLogs.noop());
        assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("staging-web-1\t"));
        assertThat(c.truncated()).isTrue();
        assertThat(c.notes()).singleElement().asString().contains("only the first");
    }

    @Test
    void anErrorFromLokiFailsTheStepWithWhatLokiSaid() {
        status = 400;
        assertThatThrownBy(() -> source(100).fromLoki(url(), "staging", List.of(), null, T0, T0.plusSeconds(60),
                l -> { }, StepLogs.noop())).hasMessageContaining("HTTP 400").hasMessageContaining("syntax error");
    }
}
