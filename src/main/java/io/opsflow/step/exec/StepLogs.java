package io.opsflow.step.exec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
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

    /**
     * The existing log of one activity instance, for serving it: a regular file (not a symbolic link) directly in the
     * run's folder under the log root, whatever the ids and the links on disk say; empty for anything else, including
     * ids that are not step log ids ({@link #isValidId}).
     */
    public Optional<Path> find(String processInstanceId, String activityInstanceId) {
        if (!isValidId(processInstanceId) || !isValidId(activityInstanceId)) {
            return Optional.empty();
        }
        Path runDir = root.resolve(safe(processInstanceId));
        Path file = runDir.resolve(safe(activityInstanceId) + ".log");
        if (!Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            Path realRunDir = root.toRealPath().resolve(runDir.getFileName());
            return file.toRealPath().getParent().equals(realRunDir) ? Optional.of(file) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code id} can name a run or an activity instance here: 1-128 of A-Z a-z 0-9 : . _ -, no "..". */
    public static boolean isValidId(String id) {
        return id != null && SAFE_ID.matcher(id).matches() && !id.contains("..");
    }

    /** All log files of one run (regular files, no symbolic links), oldest first. */
    public List<Path> list(String processInstanceId) {
        Path dir = root.resolve(safe(processInstanceId));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".log")
                    && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList());
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
        if (!isValidId(id)) {
            // the id is not echoed: it may be anything a caller sent, a path among others
            throw new IllegalArgumentException("not a valid id for a step log (1-128 letters, digits, ':', '.', '_',"
                    + " '-'; no '..')");
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
