package io.opsflow.logs;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The result of an analysis, as the JSON report stores it (and the HTML report shows it). Per-minute series start at
 * {@code from}, one entry per started minute of the window.
 */
record LogReport(String runId, String environment, String application, String source, Instant from, Instant to,
                 Instant generatedAt, long slowThresholdMs, List<HostSummary> hosts, List<SignatureCount> topSignatures,
                 List<SlowRequest> slowest, List<Moment> moments, List<Correlation> correlations,
                 Map<String, Long> patternCounts, String summary, List<String> notes) {

    record HostSummary(String host, long lines, long errors, long lb5xx, long slowRequests, Instant firstError,
                       List<Long> errorsPerMinute, List<Long> lb5xxPerMinute) {
    }

    record SignatureCount(String signature, long count, List<String> hosts, Instant first, Instant last,
                          String example) {
    }

    record SlowRequest(String host, Instant time, String request, Integer status, long durationMs, String source) {
    }

    record Correlation(String host, Instant firstError, String runId, String runbook, String action,
                       long secondsAfter, String sentence) {
    }

    long totalErrors() {
        return hosts.stream().mapToLong(HostSummary::errors).sum();
    }
}
