package io.opsflow.logs;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunVariables;

/** The variables of analyze-logs, typed. Inputs are validated at the start; the rest is written by its steps. */
final class LogsVariables {
    static final String ENVIRONMENT = "environment";
    static final String APPLICATION = "application";
    static final String PATTERNS = "patterns";
    static final String WINDOW_FROM = "windowFrom";
    static final String WINDOW_TO = "windowTo";
    /** {@code ssh} or {@code loki}: where the logs come from (set at the start). */
    static final String SOURCE = "logSource";
    static final String COLLECTED_LINES = "collectedLines";
    static final String COLLECT_NOTES = "collectNotes";
    static final String REPORT_HREF = "logReportHref";
    static final String REPORT_JSON_HREF = "logReportJsonHref";
    static final String SUMMARY = "logSummary";
    static final String ERROR_COUNT = "errorCount";
    static final String TOP_SIGNATURE = "topSignature";

    private final DelegateExecution execution;

    LogsVariables(DelegateExecution execution) {
        this.execution = execution;
    }

    String runId() {
        return execution.getProcessInstanceId();
    }

    String environment() {
        return require(ENVIRONMENT);
    }

    String application() {
        return RunVariables.of(execution).optional(APPLICATION);
    }

    /** The hosts asked for (empty: all of the environment). */
    List<String> hosts() {
        return AnalyzeLogsRunbook.hosts(Map.of("hosts", String.valueOf(execution.getVariable("hosts") == null ? ""
                : execution.getVariable("hosts"))));
    }

    /** The hosts asked for, or all of the environment's. */
    List<String> hostsIn(io.opsflow.environments.Environments environments) {
        List<String> asked = hosts();
        return asked.isEmpty() ? environments.get(environment()).hostNames() : asked;
    }

    Instant from() {
        return Instant.parse(require(WINDOW_FROM));
    }

    Instant to() {
        return Instant.parse(require(WINDOW_TO));
    }

    String source() {
        return require(SOURCE);
    }

    LogPatterns patterns() {
        List<String> errors = new java.util.ArrayList<>();
        LogPatterns p = LogPatterns.parse((String) execution.getVariable(PATTERNS), errors);
        if (!errors.isEmpty()) {
            throw new IllegalStateException("variable 'patterns' is not valid: " + errors);
        }
        return p;
    }

    @SuppressWarnings("unchecked")
    List<String> collectNotes() {
        Object v = execution.getVariable(COLLECT_NOTES);
        return v instanceof List<?> l ? (List<String>) l : List.of();
    }

    void collected(long lines, List<String> notes) {
        execution.setVariable(COLLECTED_LINES, lines);
        execution.setVariable(COLLECT_NOTES, new java.util.ArrayList<>(notes));
    }

    void reported(LogReport r, String htmlHref, String jsonHref) {
        execution.setVariable(REPORT_HREF, htmlHref);
        execution.setVariable(REPORT_JSON_HREF, jsonHref);
        execution.setVariable(SUMMARY, r.summary());
        execution.setVariable(ERROR_COUNT, r.totalErrors());
        execution.setVariable(TOP_SIGNATURE, r.topSignatures().isEmpty() ? null : r.topSignatures().get(0).signature());
    }

    private String require(String name) {
        return RunVariables.of(execution).string(name);
    }
}
