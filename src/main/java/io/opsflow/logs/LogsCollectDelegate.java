package io.opsflow.logs;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_CollectOverSsh and Task_QueryLoki: the window's lines from every host asked for (all of the environment's by
 * default) into the run's {@code log-analysis-lines.tsv.gz} (written whole again on a retry). Outputs:
 * {@code collectedLines}, {@code collectNotes} (hosts that could not be read, cut-off windows).
 */
@Component("logsCollect")
class LogsCollectDelegate extends LogsStep {
    private final LogSources sources;
    private final Environments environments;
    private final LogReports reports;
    private final LogsProperties props;

    LogsCollectDelegate(LogSources sources, Environments environments, LogReports reports, LogsProperties props,
                        StepLogs logs) {
        super(logs);
        this.sources = sources;
        this.environments = environments;
        this.reports = reports;
        this.props = props;
    }

    @Override
    void run(DelegateExecution execution, LogsVariables v, StepLog log) throws IOException {
        List<String> hosts = v.hostsIn(environments);
        Path target = reports.lines(v.runId());
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".lines", ".tmp");
        LogSources.Collected c;
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(
                Files.newOutputStream(tmp), 65536), StandardCharsets.UTF_8))) {
            java.util.function.Consumer<String> sink = line -> {
                try {
                    out.write(line);
                    out.newLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            if ("loki".equals(v.source())) {
                String url = props.lokiUrl(v.environment());
                if (url == null) {
                    throw new IllegalStateException("environment " + v.environment() + " has no Loki URL any more "
                            + "(opsflow.logs.loki." + v.environment() + ")");
                }
                log.info("reading " + v.from() + " .. " + v.to() + " of " + hosts + " from Loki " + url);
                c = sources.fromLoki(url, v.environment(), hosts, v.application(), v.from(), v.to(), sink, log);
            } else {
                log.info("reading " + v.from() + " .. " + v.to() + " of " + hosts + " over SSH");
                c = sources.overSsh(v.environment(), hosts, v.application(), v.from(), v.to(), sink, log);
            }
        } catch (RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.info(c.lines() + " line(s) collected" + (c.notes().isEmpty() ? "" : "; " + c.notes()));
        v.collected(c.lines(), c.notes());
    }
}
