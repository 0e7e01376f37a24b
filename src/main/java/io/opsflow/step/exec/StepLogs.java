package io.opsflow.step.exec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Step logs stored out of band: one file per process instance and activity instance,
 * {@code <opsflow.step-logs.dir>/<processInstanceId>/<activityInstanceId>.log}, appended line by line as output
 * arrives, never truncated. A step that runs again (retry) appends to the same file.
 */
@Component
public class StepLogs {
    /** Below Camunda's 4,000-character limit for string variables, so a tail always fits in one. */
    public static final int TAIL_CHARS = 3800;
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9:._-]{1,128}");

    private final Path root;

    public StepLogs(@Value("${opsflow.step-logs.dir:${opsflow.var-dir:var}/logs}") String root) {
        this.root = Path.of(root).toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public StepLog open(String processInstanceId, String activityInstanceId, String label) {
        Path file = locate(processInstanceId, activityInstanceId);
        return new FileStepLog(file, label);
    }

    public StepLog forExecution(DelegateExecution execution) {
        String aiid = execution.getActivityInstanceId();
        if (aiid == null) {
            aiid = execution.getCurrentActivityId() + "-" + execution.getId();
        }
        return open(execution.getProcessInstanceId(), aiid, execution.getCurrentActivityId());
    }

    /** The log file for one activity instance (it may not exist yet). Ids are validated: no path tricks. */
    public Path locate(String processInstanceId, String activityInstanceId) {
        return root.resolve(safe(processInstanceId)).resolve(safe(activityInstanceId) + ".log");
    }

    /** All log files of one run, oldest first. */
    public List<Path> list(String processInstanceId) {
        Path dir = root.resolve(safe(processInstanceId));
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.filter(p -> p.toString().endsWith(".log")).toList());
            files.sort((a, b) -> {
                try {
                    return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                } catch (IOException e) {
                    return a.compareTo(b);
                }
            });
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String safe(String id) {
        if (id == null || !SAFE_ID.matcher(id).matches() || id.contains("..")) {
            throw new IllegalArgumentException("not a valid id for a step log: " + id);
        }
        return id.replace(':', '_');
    }

    public static StepLog noop() {
        return new MemoryStepLog(false);
    }

    public static MemoryStepLog memory() {
        return new MemoryStepLog(true);
    }

    /** In-memory step log for unit tests and for steps run outside the engine. */
    public static final class MemoryStepLog implements StepLog {
        private final boolean keep;
        private final List<String> lines = new ArrayList<>();
        private final TailBuffer tail = new TailBuffer(TAIL_CHARS);
        private final Set<String> secrets = new LinkedHashSet<>();

        MemoryStepLog(boolean keep) {
            this.keep = keep;
        }

        @Override
        public synchronized void line(String stream, String text) {
            String masked = new SecretMasker(secrets).mask(text);
            if (keep) {
                lines.add("[" + stream + "] " + masked);
            }
            tail.add("[" + stream + "] " + masked);
        }

        @Override
        public synchronized void addSecret(String secret) {
            if (secret != null) {
                secrets.add(secret);
            }
        }

        public synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public String tail() {
            return tail.text();
        }

        @Override
        public Path path() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    static final class FileStepLog implements StepLog {
        private final Path file;
        private final BufferedWriter out;
        private final TailBuffer tail = new TailBuffer(TAIL_CHARS);
        private final Set<String> secrets = new LinkedHashSet<>();
        private SecretMasker masker = new SecretMasker(Set.of());

        FileStepLog(Path file, String label) {
            this.file = file;
            try {
                Files.createDirectories(file.getParent());
                this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open step log " + file, e);
            }
            line("step", "---- " + (label == null ? "step" : label) + " started");
        }

        @Override
        public synchronized void line(String stream, String text) {
            String masked = masker.mask(text);
            String entry = "[" + stream + "] " + masked;
            tail.add(entry);
            try {
                out.write(Instant.now().toString());
                out.write(' ');
                out.write(entry);
                out.newLine();
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write step log " + file, e);
            }
        }

        @Override
        public synchronized void addSecret(String secret) {
            if (secret != null && !secret.isEmpty()) {
                secrets.add(secret);
                masker = new SecretMasker(secrets);
            }
        }

        @Override
        public String tail() {
            return tail.text();
        }

        @Override
        public Path path() {
            return file;
        }

        @Override
        public synchronized void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
