package io.opsflow.logs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code opsflow.logs.*}: how analyze-logs reads logs. An environment with an entry in {@code loki} is read through
 * Loki's HTTP API ({@code GET <url>/loki/api/v1/query_range}); every other one over SSH with
 * {@code workers/collect-logs.sh}.
 */
@ConfigurationProperties(prefix = "opsflow.logs")
public class LogsProperties {
    /** Environment name → Loki base URL, e.g. {@code production: http://loki.internal:3100}. */
    private Map<String, String> loki = new LinkedHashMap<>();
    /** The LogQL stream selector; {@code {env}} and {@code {app}} are replaced by the (validated) names. */
    private String lokiSelector = "{env=\"{env}\"}";
    /** At most this many lines per Loki query (Loki's {@code limit}); the window is read in slices until done. */
    private int lokiLimit = 5000;
    /** At most this many bytes of log lines per host (before compression); the rest of the window is cut off. */
    private long maxBytesPerHost = 8L * 1024 * 1024;
    /** Load balancer access logs read on every host besides the application logs (missing ones are reported). */
    private List<String> lbLogs = new ArrayList<>(List.of("~/log/lb-access.log", "/var/log/haproxy.log"));
    /** Requests that took at least this long are slow. */
    private Duration slowRequest = Duration.ofSeconds(1);
    /** Time limit of one host's collection or one Loki query. */
    private Duration stepTimeout = Duration.ofMinutes(3);
    /** The longest window one run may analyse. */
    private Duration maxWindow = Duration.ofHours(24);

    public Map<String, String> getLoki() {
        return loki;
    }

    public void setLoki(Map<String, String> loki) {
        this.loki = loki;
    }

    public String getLokiSelector() {
        return lokiSelector;
    }

    public void setLokiSelector(String lokiSelector) {
        this.lokiSelector = lokiSelector;
    }

    public int getLokiLimit() {
        return lokiLimit;
    }

    public void setLokiLimit(int lokiLimit) {
        this.lokiLimit = lokiLimit;
    }

    public long getMaxBytesPerHost() {
        return maxBytesPerHost;
    }

    public void setMaxBytesPerHost(long maxBytesPerHost) {
        this.maxBytesPerHost = maxBytesPerHost;
    }

    public List<String> getLbLogs() {
        return lbLogs;
    }

    public void setLbLogs(List<String> lbLogs) {
        this.lbLogs = lbLogs;
    }

    public Duration getSlowRequest() {
        return slowRequest;
    }

    public void setSlowRequest(Duration slowRequest) {
        this.slowRequest = slowRequest;
    }

    public Duration getStepTimeout() {
        return stepTimeout;
    }

    public void setStepTimeout(Duration stepTimeout) {
        this.stepTimeout = stepTimeout;
    }

    public Duration getMaxWindow() {
        return maxWindow;
    }

    public void setMaxWindow(Duration maxWindow) {
        this.maxWindow = maxWindow;
    }

    /** The Loki URL of the environment, or null when it is read over SSH. */
    String lokiUrl(String environment) {
        String u = loki.get(environment);
        return u == null || u.isBlank() ? null : u.replaceAll("/+$", "");
    }
}
