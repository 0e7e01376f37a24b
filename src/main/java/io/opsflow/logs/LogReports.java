package io.opsflow.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLogs;

/**
 * Where a run's log analysis is kept: next to its step logs, {@code <step-logs dir>/<run>/log-analysis.html} and
 * {@code .json}, plus the collected lines {@code log-analysis-lines.tsv.gz} the analysis read (bounded by
 * {@code opsflow.logs.max-bytes-per-host} per host). Files are written under a temporary name and renamed.
 */
@Component
public class LogReports {
    static final String HTML = "log-analysis.html";
    static final String JSON = "log-analysis.json";
    static final String LINES = "log-analysis-lines.tsv.gz";

    private final StepLogs stepLogs;

    public LogReports(StepLogs stepLogs) {
        this.stepLogs = stepLogs;
    }

    Path dir(String runId) {
        if (!StepLogs.isValidId(runId)) {
            throw new IllegalArgumentException("not a run id");
        }
        return stepLogs.root().resolve(runId.replace(':', '_'));
    }

    Path lines(String runId) {
        return dir(runId).resolve(LINES);
    }

    void write(String runId, String name, byte[] content) {
        Path dir = dir(runId);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
            Files.write(tmp, content);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " of run " + runId + ": " + e.getMessage(), e);
        }
    }

    /** The stored report file ({@link #HTML} or {@link #JSON}) of the run: a regular file, no symbolic link. */
    Optional<Path> find(String runId, String name) {
        if (!StepLogs.isValidId(runId)) {
            return Optional.empty();
        }
        Path p = dir(runId).resolve(name);
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Optional.of(p) : Optional.empty();
    }
}
