package io.opsflow.step.http;

import java.util.List;

/** Per-URL results of one health check, in the order the URLs were given. */
public record HealthReport(List<UrlHealth> results) {

    public HealthReport {
        results = List.copyOf(results);
    }

    public boolean allHealthy() {
        return results.stream().allMatch(UrlHealth::healthy);
    }

    public List<UrlHealth> unhealthy() {
        return results.stream().filter(r -> !r.healthy()).toList();
    }
}
