package io.opsflow.platform.housekeeping;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLogs;

/**
 * A run's step logs go with its history: Camunda's history cleanup removes a finished run's history once its
 * time-to-live has passed (history-time-to-live, in the cleanup batch window), and this sweep then removes the run's
 * step logs from the database ({@code OPSFLOW_STEP_LOG}, {@code OPSFLOW_STEP_LOG_CHUNK}) — the logs of a run that is
 * neither running nor in the history any more, and none of them written for {@code opsflow.step-logs.min-age}
 * (default one day, so a run that is just starting is never swept). Any node may sweep; the database is shared.
 * It also removes the run's folder under the step-log root ({@code var/logs/<processInstanceId>/}: log-analysis
 * reports, and step log files of earlier versions) under the same rule; every node sweeps its own folder.
 */
@Component
public class StepLogRetention {
    private static final Logger LOG = LoggerFactory.getLogger(StepLogRetention.class);

    private final StepLogs logs;
    private final JdbcTemplate jdbc;
    private final Duration minAge;

    public StepLogRetention(StepLogs logs, JdbcTemplate jdbc,
                            @Value("${opsflow.step-logs.min-age:P1D}") Duration minAge) {
        this.logs = logs;
        this.jdbc = jdbc;
        this.minAge = minAge;
    }

    @Scheduled(initialDelayString = "${opsflow.step-logs.sweep-initial-delay:PT10M}",
            fixedDelayString = "${opsflow.step-logs.sweep-interval:PT1H}")
    public void scheduledSweep() {
        try {
            sweep(Instant.now());
        } catch (RuntimeException e) {
            LOG.warn("step log sweep failed (next try in an hour): {}", e.toString());
        }
    }

    /** Removes the step logs of runs whose history is gone; returns the process instance ids swept. */
    public List<String> sweep(Instant now) {
        List<String> swept = new ArrayList<>();
        for (String pi : logs.runsWrittenBefore(now.minus(minAge))) {
            if (!known(pi)) {
                logs.deleteRun(pi);
                swept.add(pi);
            }
        }
        Path root = logs.root();
        if (!Files.isDirectory(root)) {
            report(swept);
            return swept;
        }
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path run : runs) {
                String pi = run.getFileName().toString();
                if (!pi.matches("[A-Za-z0-9-]{1,64}") || youngerThan(run, now.minus(minAge)) || known(pi)) {
                    continue;
                }
                deleteTree(run);
                if (!swept.contains(pi)) {
                    swept.add(pi);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the step logs: " + e.getMessage(), e);
        }
        report(swept);
        return swept;
    }

    private static void report(List<String> swept) {
        if (!swept.isEmpty()) {
            LOG.info("step logs of {} run(s) removed with their history: {}", swept.size(), swept);
        }
    }

    private boolean known(String processInstanceId) {
        Integer n = jdbc.queryForObject("SELECT (SELECT COUNT(*) FROM ACT_HI_PROCINST WHERE PROC_INST_ID_ = ?)"
                + " + (SELECT COUNT(*) FROM ACT_RU_EXECUTION WHERE PROC_INST_ID_ = ?)", Integer.class,
                processInstanceId, processInstanceId);
        return n != null && n > 0;
    }

    /** Whether a log in the folder (or the empty folder itself) was written after {@code cutoff}. */
    private static boolean youngerThan(Path dir, Instant cutoff) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> files = all.filter(Files::isRegularFile).toList();
            return (files.isEmpty() ? List.of(dir) : files).stream().anyMatch(p -> {
                try {
                    return Files.getLastModifiedTime(p).toInstant().isAfter(cutoff);
                } catch (IOException e) {
                    return true;
                }
            });
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
