package io.opsflow.logs;

import org.camunda.bpm.engine.HistoryService;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.platform.api.RunNotFoundException;
import io.opsflow.step.exec.StepLogs;

/**
 * The log analysis of an analyze-logs run: {@code GET /api/runs/{pi}/log-analysis.html} (the report with its chart;
 * no script runs in it: {@code Content-Security-Policy: default-src 'none'}) and {@code .json}. Same rules as the
 * run's step logs ({@code /api/runs/{pi}/logs}): only for runs the caller may read (engine authorization on the
 * historic instance), 404 otherwise, and 404 for a run without a report.
 */
@RestController
@RequestMapping("/api/runs/{processInstanceId}")
public class LogReportController {
    private final LogReports reports;
    private final HistoryService history;

    public LogReportController(LogReports reports, HistoryService history) {
        this.reports = reports;
        this.history = history;
    }

    @GetMapping("/log-analysis.html")
    public ResponseEntity<FileSystemResource> html(@PathVariable String processInstanceId) {
        return serve(processInstanceId, LogReports.HTML, MediaType.TEXT_HTML);
    }

    @GetMapping("/log-analysis.json")
    public ResponseEntity<FileSystemResource> json(@PathVariable String processInstanceId) {
        return serve(processInstanceId, LogReports.JSON, MediaType.APPLICATION_JSON);
    }

    private ResponseEntity<FileSystemResource> serve(String runId, String name, MediaType type) {
        if (!StepLogs.isValidId(runId) || history.createHistoricProcessInstanceQuery().processInstanceId(runId)
                .count() == 0) {
            throw RunNotFoundException.run(runId);
        }
        return reports.find(runId, name)
                .map(p -> ResponseEntity.ok().contentType(type)
                        .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                        .header("X-Content-Type-Options", "nosniff")
                        .body(new FileSystemResource(p)))
                .orElseThrow(() -> new RunNotFoundException("run '" + runId + "' has no log analysis"));
    }
}
