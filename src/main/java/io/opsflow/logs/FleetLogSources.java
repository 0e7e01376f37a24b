package io.opsflow.logs;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.fleet.CollectedLogs;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.Lazy;

/**
 * {@link LogSources} for real: SSH through the {@link Fleet} client ({@code collect-logs.sh} per host, one host after
 * the other; a host that cannot be read is a note in the report, all hosts failing an exception), and Loki's HTTP
 * API. Loki streams are expected to carry the labels {@code env}, {@code host}, and {@code app} + {@code instance}
 * for application logs or {@code job="lb"} for the load balancer's; the query is
 * {@code opsflow.logs.loki-selector} (environment and application names only, never caller text), read forward in
 * pages of {@code loki-limit} lines until the window is done or the size limit (hosts × max-bytes-per-host) is reached.
 */
@Component
class FleetLogSources implements LogSources {
    private final Fleet fleet;
    private final LogsProperties props;
    private final Lazy<HttpClient> http = new Lazy<>(() -> HttpClient.newBuilder() // built on first use, not at start
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build());

    FleetLogSources(Fleet fleet, LogsProperties props) {
        this.fleet = fleet;
        this.props = props;
    }

    @Override
    public Collected overSsh(String environment, List<String> hosts, String application, Instant from, Instant to,
                             Consumer<String> sink, StepLog log) {
        FleetScope f = fleet.in(environment, props.getStepTimeout(), log);
        List<String> notes = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        long lines = 0;
        boolean truncated = false;
        for (String host : hosts) {
            try {
                CollectedLogs c = f.collectLogs(host, application, from, to, props.getLbLogs(),
                        props.getMaxBytesPerHost(), line -> sink.accept(host + "\t" + line));
                lines += c.lines();
                if (c.truncated()) {
                    truncated = true;
                    notes.add(host + ": only the first " + c.bytes() + " bytes of the window were read "
                            + "(opsflow.logs.max-bytes-per-host)");
                }
                if (c.sources().isEmpty()) {
                    notes.add(host + ": no application or load balancer log found");
                }
            } catch (RuntimeException e) {
                failed.add(host);
                notes.add(host + ": could not be read: " + e.getMessage());
                log.info(host + ": could not be read: " + e.getMessage());
            }
        }
        if (!hosts.isEmpty() && failed.size() == hosts.size()) {
            throw new IllegalStateException("no host of " + environment + " could be read: " + String.join("; ",
                    notes));
        }
        return new Collected(lines, truncated, notes);
    }

    @Override
    public Collected fromLoki(String lokiUrl, String environment, List<String> hosts, String application,
                              Instant from, Instant to, Consumer<String> sink, StepLog log) {
        String query = props.getLokiSelector().replace("{env}", environment)
                .replace("{app}", application == null ? "" : application);
        long budget = props.getMaxBytesPerHost() * Math.max(1, hosts.size());
        long used = 0;
        long lines = 0;
        long start = nanos(from);
        long end = nanos(to);
        List<String> notes = new ArrayList<>();
        for (int page = 0; page < 10_000; page++) {
            URI uri = URI.create(lokiUrl + "/loki/api/v1/query_range?query=" + enc(query) + "&start=" + start
                    + "&end=" + end + "&limit=" + props.getLokiLimit() + "&direction=forward");
            log.info("GET " + uri);
            JsonNode body = get(uri);
            if (!"success".equals(body.path("status").asText())) {
                throw new IllegalStateException("Loki at " + lokiUrl + " answered status "
                        + body.path("status").asText("?") + ": " + body.path("error").asText(""));
            }
            List<String[]> batch = new ArrayList<>(); // [ns, stored line]
            int returned = 0; // what Loki answered, before the host and application filters
            long lastNs = start;
            for (JsonNode stream : body.path("data").path("result")) {
                for (JsonNode v : stream.path("values")) {
                    returned++;
                    lastNs = Math.max(lastNs, Long.parseLong(v.path(0).asText("0")));
                }
                JsonNode labels = stream.path("stream");
                String host = firstText(labels, "host", "hostname", "instance_host");
                if (host == null || (!hosts.isEmpty() && !hosts.contains(host))) {
                    continue;
                }
                String app = labels.path("app").asText(null);
                boolean lb = "lb".equals(labels.path("job").asText()) || "haproxy".equals(labels.path("job").asText());
                if (!lb && application != null && !application.equals(app)) {
                    continue;
                }
                String source = lb ? "lb:loki" : "app:" + (app == null ? "unknown" : app) + "/"
                        + labels.path("instance").asText("unknown");
                for (JsonNode v : stream.path("values")) {
                    batch.add(new String[] {v.path(0).asText(), host + "\t" + source + "\t"
                            + v.path(1).asText().replace('\t', ' ').replace('\n', ' ')});
                }
            }
            batch.sort((a, b) -> Long.compare(Long.parseLong(a[0]), Long.parseLong(b[0])));
            for (String[] e : batch) {
                used += e[1].length() + 1;
                if (used > budget) {
                    notes.add("Loki: only the first " + (used - e[1].length() - 1) + " bytes of the window were read "
                            + "(opsflow.logs.max-bytes-per-host × hosts)");
                    return new Collected(lines, true, notes);
                }
                sink.accept(e[1]);
                lines++;
            }
            if (returned < props.getLokiLimit()) {
                break;
            }
            start = lastNs + 1;
        }
        log.info("Loki: " + lines + " line(s) for " + environment);
        return new Collected(lines, false, notes);
    }

    private JsonNode get(URI uri) {
        try {
            HttpResponse<java.io.InputStream> r = http.get().send(HttpRequest.newBuilder(uri).GET()
                    .timeout(props.getStepTimeout()).header("Accept", "application/json").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    byte[] head = in.readNBytes(300);
                    throw new IllegalStateException("Loki " + uri.getHost() + ":" + uri.getPort() + " answered HTTP "
                            + r.statusCode() + ": " + new String(head, StandardCharsets.UTF_8).strip());
                }
                return ReportRenderer.JSON.readTree(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Loki at " + uri.getHost() + ":" + uri.getPort() + " could not be read: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while querying Loki", e);
        }
    }

    private static String firstText(JsonNode labels, String... names) {
        for (String n : names) {
            if (labels.hasNonNull(n)) {
                return labels.path(n).asText();
            }
        }
        return null;
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
