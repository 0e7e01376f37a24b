package io.opsflow.step.exec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Step logs: every line of every command a step ran, whole, secrets masked, stored out of band and served by id
 * ({@code /api/runs/{id}/logs}).
 * <p>The application's bean keeps them in the engine's database ({@link JdbcStepLogStore}: tables
 * {@code OPSFLOW_STEP_LOG} and {@code OPSFLOW_STEP_LOG_CHUNK}), so that any node of a cluster lists and serves what
 * any node wrote, while it is being written ({@link #read} from an offset). A log written by a step that fails stays:
 * its lines are committed on a connection of their own, never in the step's transaction.
 * <p>{@code new StepLogs(dir)} is the standalone form for unit tests and tools run outside the engine: one file per
 * log, {@code <dir>/<processInstanceId>/<activityInstanceId>.log}, node-local. {@link #root()} is that directory in
 * both forms (log-analysis reports are kept under it).
 */
@Component
public class StepLogs implements DisposableBean {
    /** Below Camunda's 4,000-character limit for string variables, so a tail always fits in one. */
    public static final int TAIL_CHARS = 3800;
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9:._-]{1,128}");

    private final Path root;
    /** Null in the standalone (directory) form. */
    private final JdbcStepLogStore db;

    /** The application's step logs: in the engine's database, appended every {@code flushInterval}. */
    @Autowired
    public StepLogs(org.springframework.beans.factory.ObjectProvider<DataSource> dataSource,
                    @Value("${opsflow.step-logs.dir:${opsflow.var-dir:var}/logs}") String root,
                    @Value("${opsflow.step-logs.flush-interval:PT1S}") String flushInterval) {
        this(dataSource.getIfAvailable(), root,
                org.springframework.boot.convert.DurationStyle.detectAndParse(flushInterval));
    }

    /**
     * Step logs in {@code dataSource}, appended every {@code flushInterval}; in files under {@code root} when there is
     * no database (a context of the step library alone).
     */
    public StepLogs(DataSource dataSource, String root, Duration flushInterval) {
        this.root = Path.of(root).toAbsolutePath().normalize();
        this.db = dataSource == null ? null : new JdbcStepLogStore(dataSource, flushInterval);
    }

    /** Standalone step logs in files under {@code root} (unit tests, tools outside the engine). */
    public StepLogs(String root) {
        this.root = Path.of(root).toAbsolutePath().normalize();
        this.db = null;
    }

    /** One step log as listed: its activity instance, its activity (when known), size in UTF-8 bytes, times. */
    public record Entry(String activityInstanceId, String activityId, long bytes, Instant firstWritten,
                        Instant lastWritten, boolean ended) {
    }

    /**
     * Text of a log from an offset: {@code nextOffset} is where the next read continues; {@code ended} says the
     * writer closed the log and everything up to its end has been read.
     */
    public record Text(String text, long nextOffset, boolean ended) {
    }

    /** Whether the logs are in the database (the application) rather than in files (standalone). */
    public boolean inDatabase() {
        return db != null;
    }

    public Path root() {
        return root;
    }

    /** On shutdown: lines still buffered in open logs are written. */
    @Override
    public void destroy() {
        if (db != null) {
            db.shutdown();
        }
    }

    public StepLog open(String processInstanceId, String activityInstanceId, String label) {
        return open(processInstanceId, activityInstanceId, null, label);
    }

    private StepLog open(String processInstanceId, String activityInstanceId, String activityId, String label) {
        if (db != null) {
            return db.open(safeId(processInstanceId), safeId(activityInstanceId), activityId, label);
        }
        Path file = locate(processInstanceId, activityInstanceId);
        return new FileStepLog(file, label);
    }

    public StepLog forExecution(DelegateExecution execution) {
        String aiid = execution.getActivityInstanceId();
        if (aiid == null) {
            aiid = execution.getCurrentActivityId() + "-" + execution.getId();
        }
        return open(execution.getProcessInstanceId(), aiid, execution.getCurrentActivityId(),
                execution.getCurrentActivityId());
    }

    /** The logs of one run, oldest first; empty for an id that cannot name a run. */
    public List<Entry> list(String processInstanceId) {
        if (!isValidId(processInstanceId)) {
            return List.of();
        }
        if (db != null) {
            return db.list(processInstanceId);
        }
        List<Entry> out = new ArrayList<>();
        for (Path p : files(processInstanceId)) {
            fileEntry(p).ifPresent(out::add);
        }
        return out;
    }

    /** One log of a run; empty when there is none, or when an id cannot name one. */
    public Optional<Entry> entry(String processInstanceId, String activityInstanceId) {
        if (!isValidId(processInstanceId) || !isValidId(activityInstanceId)) {
            return Optional.empty();
        }
        if (db != null) {
            return db.entry(processInstanceId, activityInstanceId);
        }
        return find(processInstanceId, activityInstanceId).flatMap(StepLogs::fileEntry);
    }

    /**
     * The text of one log from byte {@code offset} (UTF-8 bytes; an offset inside a character continues at the next
     * whole one) up to about {@code maxBytes}, whole chunks; empty when there is no such log.
     */
    public Optional<Text> read(String processInstanceId, String activityInstanceId, long offset, int maxBytes) {
        if (!isValidId(processInstanceId) || !isValidId(activityInstanceId)) {
            return Optional.empty();
        }
        if (db != null) {
            return db.read(processInstanceId, activityInstanceId, offset, maxBytes);
        }
        return find(processInstanceId, activityInstanceId).map(p -> readFile(p, offset, maxBytes));
    }

    /** {@link #read} of up to 1 MB. */
    public Optional<Text> read(String processInstanceId, String activityInstanceId, long offset) {
        return read(processInstanceId, activityInstanceId, offset, 1024 * 1024);
    }

    /** Runs with logs in the database, all last written before {@code cutoff} (none in the standalone form). */
    public List<String> runsWrittenBefore(Instant cutoff) {
        return db == null ? List.of() : db.runsWrittenBefore(cutoff);
    }

    /** Removes a run's logs from the database; returns how many logs were removed. */
    public int deleteRun(String processInstanceId) {
        return db == null || !isValidId(processInstanceId) ? 0 : db.deleteRun(processInstanceId);
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
    Optional<Path> find(String processInstanceId, String activityInstanceId) {
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
    List<Path> files(String processInstanceId) {
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

    private static Optional<Entry> fileEntry(Path p) {
        String name = p.getFileName().toString();
        try {
            Instant modified = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
            return Optional.of(new Entry(name.substring(0, name.length() - ".log".length()), null, Files.size(p),
                    modified, modified, true));
        } catch (IOException e) {
            return Optional.empty(); // vanished while listing
        }
    }

    private static Text readFile(Path p, long offset, int maxBytes) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "r")) {
            long from = Math.min(Math.max(0, offset), f.length());
            f.seek(from);
            byte[] b = new byte[(int) Math.min(maxBytes, f.length() - from)];
            f.readFully(b);
            int skip = 0;
            while (skip < b.length && (b[skip] & 0xC0) == 0x80) {
                skip++;
            }
            return new Text(new String(b, skip, b.length - skip, StandardCharsets.UTF_8), from + b.length,
                    from + b.length >= f.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String safeId(String id) {
        safe(id);
        return id;
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

    static final class FileStepLog extends MaskedStepLog {
        private final Path file;
        private final BufferedWriter out;

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
            String entry = entry(stream, text);
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
