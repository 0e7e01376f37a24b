package io.opsflow.logs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_Analyse: reads the collected lines, sets them against opsflow's history of the environment and writes the
 * report (HTML with the chart, JSON) next to the run's step logs. Outputs: {@code logReportHref},
 * {@code logReportJsonHref} (links into the API), {@code logSummary}, {@code errorCount}, {@code topSignature}.
 */
@Component("logsAnalyse")
class LogsAnalyseDelegate extends LogsStep {
    private final Environments environments;
    private final LogReports reports;
    private final LogsProperties props;

    LogsAnalyseDelegate(Environments environments, LogReports reports, LogsProperties props, StepLogs logs) {
        super(logs);
        this.environments = environments;
        this.reports = reports;
        this.props = props;
    }

    @Override
    void run(DelegateExecution execution, LogsVariables v, StepLog log) throws IOException {
        List<String> hosts = v.hostsIn(environments);
        List<Moment> moments = OpsHistory.moments(execution.getProcessEngineServices().getHistoryService(),
                v.environment(), v.from(), v.to());
        log.info(moments.size() + " opsflow change(s) to " + v.environment() + " in the window");
        LogAnalyzer analyzer = new LogAnalyzer(v.from(), v.to(), props.getSlowRequest().toMillis(), v.patterns(),
                hosts, moments);
        Path lines = reports.lines(v.runId());
        if (!Files.isRegularFile(lines)) {
            throw new IllegalStateException("the collected lines of run " + v.runId() + " are missing; retry from "
                    + "the collecting step");
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(lines), 65536), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                analyzer.accept(line);
            }
        }
        String source = "loki".equals(v.source()) ? "loki (query_range)" : "ssh (collect-logs.sh)";
        LogReport report = analyzer.report(v.runId(), v.environment(), v.application(), source, v.collectNotes());
        reports.write(v.runId(), LogReports.JSON, ReportRenderer.json(report));
        reports.write(v.runId(), LogReports.HTML, ReportRenderer.html(report).getBytes(StandardCharsets.UTF_8));
        String base = "/api/runs/" + v.runId() + "/log-analysis";
        v.reported(report, base + ".html", base + ".json");
        log.info(report.summary());
    }
}
