package io.opsflow.step.exec;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Step logs in the engine's database, so that every node of a cluster serves what any node wrote.
 * <ul>
 * <li>{@code OPSFLOW_STEP_LOG}: one row per log (run, activity instance): the activity, the size in UTF-8 bytes, when
 * it was first and last written, whether its writer closed it.</li>
 * <li>{@code OPSFLOW_STEP_LOG_CHUNK}: the text, in chunks of whole lines, each at its byte offset in the log.</li>
 * </ul>
 * A log buffers its lines and appends them as one chunk every flush interval (one second by default), when
 * {@link #FLUSH_LINES} lines or {@link #FLUSH_CHARS} characters are waiting, and when it is closed: a step with chatty
 * output costs one INSERT a second, not one a line. Opening a log writes its first line through the flush thread
 * (the step does not wait for it); closing it writes the rest, marked ended, before {@link StepLog#close()}
 * returns, so the log is complete before the step's transaction commits. A node that dies loses at most what
 * its open logs had not written yet: the last flush interval of lines. On PostgreSQL the appends commit without
 * waiting for the disk (see {@link #commitWithoutWaitingForTheDisk}). Appends use a connection of their own,
 * committed at once: they never join the step's transaction, so the log of a step whose transaction rolls back (a
 * failed step) stays.
 */
public class JdbcStepLogStore {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcStepLogStore.class);
    static final int FLUSH_LINES = 500;
    static final int FLUSH_CHARS = 64 * 1024;
    /** What a log keeps waiting while the database cannot be written; beyond, lines are dropped (and counted). */
    static final int MAX_PENDING_CHARS = 8 * 1024 * 1024;
    /** Chunks one {@link #read} returns at most. */
    private static final int MAX_CHUNKS_PER_READ = 256;

    private final DataSource dataSource;
    private final JdbcTemplate jdbc;
    private final Set<JdbcStepLog> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService flusher;
    /** Whether the database is PostgreSQL (known after the first append). */
    private volatile Boolean postgres;

    public JdbcStepLogStore(DataSource dataSource, Duration flushInterval) {
        this.dataSource = dataSource;
        this.jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_STEP_LOG (PROC_INST_ID_ VARCHAR(128) NOT NULL, "
                + "ACT_INST_ID_ VARCHAR(128) NOT NULL, ACT_ID_ VARCHAR(255), BYTES_ BIGINT NOT NULL, "
                + "FIRST_WRITTEN_ TIMESTAMP NOT NULL, LAST_WRITTEN_ TIMESTAMP NOT NULL, ENDED_ BOOLEAN NOT NULL, "
                + "PRIMARY KEY (PROC_INST_ID_, ACT_INST_ID_))");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_STEP_LOG_CHUNK (PROC_INST_ID_ VARCHAR(128) NOT NULL, "
                + "ACT_INST_ID_ VARCHAR(128) NOT NULL, START_ BIGINT NOT NULL, LEN_ INTEGER NOT NULL, "
                + "TEXT_ TEXT NOT NULL, WRITTEN_ TIMESTAMP NOT NULL, PRIMARY KEY (PROC_INST_ID_, ACT_INST_ID_, START_))");
        jdbc.execute("CREATE INDEX IF NOT EXISTS OPSFLOW_STEP_LOG_LAST ON OPSFLOW_STEP_LOG (LAST_WRITTEN_)");
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "opsflow-step-log-flush");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(50, flushInterval.toMillis());
        flusher.scheduleWithFixedDelay(this::flushAll, every, every, TimeUnit.MILLISECONDS);
    }

    StepLog open(String processInstanceId, String activityInstanceId, String activityId, String label) {
        JdbcStepLog log = new JdbcStepLog(this, processInstanceId, activityInstanceId, activityId);
        open.add(log);
        log.line("step", "---- " + (label == null ? "step" : label) + " started");
        // the log is listed (and can be followed) from the moment the step starts: its first line is written at
        // once, but by the flush thread, so the step does not wait for that commit (measured on PostgreSQL: see
        // docs/BENCHMARKS.md, step_part_ms_ssh_step_run_true_db_log_*); a step that ends first writes it with its end
        flushSoon(log);
        return log;
    }

    /** Asks the flush thread to write what waits in {@code log} now (in the caller's thread after a shutdown). */
    private void flushSoon(JdbcStepLog log) {
        try {
            flusher.execute(log::flushQuietly);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.flushQuietly();
        }
    }

    /** Writes what waits in open logs and stops the periodic flush (the application shuts down). */
    void shutdown() {
        flusher.shutdown();
        flushAll();
    }

    void closed(JdbcStepLog log) {
        open.remove(log);
    }

    private void flushAll() {
        for (JdbcStepLog log : open) {
            log.flushQuietly();
        }
    }

    /**
     * Appends {@code text} (whole lines) to a log, creating it when it does not exist, and marks it ended or not; on a
     * connection of its own, committed before returning.
     */
    void append(String pi, String aiid, String activityId, String text, boolean ended) throws SQLException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 1; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    commitWithoutWaitingForTheDisk(c);
                    appendIn(c, pi, aiid, activityId, text, bytes.length, ended);
                    c.commit();
                    return;
                } catch (SQLException e) {
                    c.rollback();
                    if (attempt >= 2) {
                        throw e;
                    }
                    // a concurrent writer created the log row between our UPDATE and INSERT: once more
                } finally {
                    c.setAutoCommit(true);
                }
            }
        }
    }

    /**
     * On PostgreSQL, this transaction's commit returns without waiting for its WAL record to reach the disk
     * ({@code SET LOCAL synchronous_commit TO OFF}; the engine's own transactions are not touched): a step no longer
     * waits for a disk flush per log write (measured: docs/BENCHMARKS.md). Nothing a finished step wrote can be lost
     * by it: the step's own transaction commits later, synchronously, and PostgreSQL writes the WAL in order, so its
     * durable commit makes every earlier log write durable too. A PostgreSQL crash may lose the log lines of the last
     * fraction of a second (three times {@code wal_writer_delay}, 0.6 s by default) of steps that had not finished.
     */
    private void commitWithoutWaitingForTheDisk(Connection c) throws SQLException {
        Boolean pg = postgres;
        if (pg == null) {
            pg = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            postgres = pg;
        }
        if (pg) {
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("SET LOCAL synchronous_commit TO OFF");
            }
        }
    }

    private static void appendIn(Connection c, String pi, String aiid, String activityId, String text, int length,
                                 boolean ended) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        long start;
        try (PreparedStatement up = c.prepareStatement("UPDATE OPSFLOW_STEP_LOG SET BYTES_ = BYTES_ + ?, "
                + "LAST_WRITTEN_ = ?, ENDED_ = ? WHERE PROC_INST_ID_ = ? AND ACT_INST_ID_ = ?")) {
            up.setLong(1, length);
            up.setTimestamp(2, now);
            up.setBoolean(3, ended);
            up.setString(4, pi);
            up.setString(5, aiid);
            if (up.executeUpdate() == 0) {
                try (PreparedStatement in = c.prepareStatement("INSERT INTO OPSFLOW_STEP_LOG (PROC_INST_ID_, "
                        + "ACT_INST_ID_, ACT_ID_, BYTES_, FIRST_WRITTEN_, LAST_WRITTEN_, ENDED_) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    in.setString(1, pi);
                    in.setString(2, aiid);
                    in.setString(3, activityId);
                    in.setLong(4, length);
                    in.setTimestamp(5, now);
                    in.setTimestamp(6, now);
                    in.setBoolean(7, ended);
                    in.executeUpdate();
                }
                start = 0;
            } else {
                try (PreparedStatement q = c.prepareStatement("SELECT BYTES_ FROM OPSFLOW_STEP_LOG "
                        + "WHERE PROC_INST_ID_ = ? AND ACT_INST_ID_ = ?")) {
                    q.setString(1, pi);
                    q.setString(2, aiid);
                    try (ResultSet rs = q.executeQuery()) {
                        rs.next();
                        start = rs.getLong(1) - length;
                    }
                }
            }
        }
        if (length == 0) {
            return;
        }
        try (PreparedStatement in = c.prepareStatement("INSERT INTO OPSFLOW_STEP_LOG_CHUNK (PROC_INST_ID_, "
                + "ACT_INST_ID_, START_, LEN_, TEXT_, WRITTEN_) VALUES (?, ?, ?, ?, ?, ?)")) {
            in.setString(1, pi);
            in.setString(2, aiid);
            in.setLong(3, start);
            in.setInt(4, length);
            in.setString(5, text);
            in.setTimestamp(6, now);
            in.executeUpdate();
        }
    }

    List<StepLogs.Entry> list(String pi) {
        return jdbc.query("SELECT ACT_INST_ID_, ACT_ID_, BYTES_, FIRST_WRITTEN_, LAST_WRITTEN_, ENDED_ "
                + "FROM OPSFLOW_STEP_LOG WHERE PROC_INST_ID_ = ? ORDER BY FIRST_WRITTEN_, ACT_INST_ID_",
                (rs, i) -> entry(rs), pi);
    }

    Optional<StepLogs.Entry> entry(String pi, String aiid) {
        return jdbc.query("SELECT ACT_INST_ID_, ACT_ID_, BYTES_, FIRST_WRITTEN_, LAST_WRITTEN_, ENDED_ "
                + "FROM OPSFLOW_STEP_LOG WHERE PROC_INST_ID_ = ? AND ACT_INST_ID_ = ?",
                (rs, i) -> entry(rs), pi, aiid).stream().findFirst();
    }

    private static StepLogs.Entry entry(ResultSet rs) throws SQLException {
        return new StepLogs.Entry(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getTimestamp(4).toInstant(),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6));
    }

    /** The text from byte {@code offset} on (about {@code maxBytes}, whole chunks), or empty for no such log. */
    Optional<StepLogs.Text> read(String pi, String aiid, long offset, int maxBytes) {
        Optional<StepLogs.Entry> entry = entry(pi, aiid);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        long from = Math.max(0, offset);
        StringBuilder text = new StringBuilder();
        long next = Math.min(from, entry.get().bytes());
        List<Object[]> chunks = new ArrayList<>();
        jdbc.query(con -> {
            PreparedStatement ps = con.prepareStatement("SELECT START_, LEN_, TEXT_ FROM OPSFLOW_STEP_LOG_CHUNK "
                    + "WHERE PROC_INST_ID_ = ? AND ACT_INST_ID_ = ? AND START_ >= (SELECT COALESCE(MAX(START_), 0) "
                    + "FROM OPSFLOW_STEP_LOG_CHUNK WHERE PROC_INST_ID_ = ? AND ACT_INST_ID_ = ? AND START_ <= ?) "
                    + "ORDER BY START_");
            ps.setString(1, pi);
            ps.setString(2, aiid);
            ps.setString(3, pi);
            ps.setString(4, aiid);
            ps.setLong(5, from);
            ps.setMaxRows(MAX_CHUNKS_PER_READ);
            return ps;
        }, rs -> {
            chunks.add(new Object[] {rs.getLong(1), rs.getInt(2), rs.getString(3)});
        });
        int total = 0;
        for (Object[] chunk : chunks) {
            long start = (Long) chunk[0];
            int length = (Integer) chunk[1];
            if (total >= maxBytes) {
                break;
            }
            if (start + length <= from) {
                continue;
            }
            byte[] b = ((String) chunk[2]).getBytes(StandardCharsets.UTF_8);
            int skip = (int) Math.max(0, from - start);
            while (skip < b.length && (b[skip] & 0xC0) == 0x80) {
                skip++; // an offset inside a character: from the next whole character on
            }
            text.append(new String(b, skip, b.length - skip, StandardCharsets.UTF_8));
            total += b.length - skip;
            next = start + length;
        }
        boolean ended = entry.get().ended() && next >= entry.get().bytes();
        return Optional.of(new StepLogs.Text(text.toString(), next, ended));
    }

    /** Runs whose logs were all last written before {@code cutoff}. */
    List<String> runsWrittenBefore(Instant cutoff) {
        return jdbc.queryForList("SELECT PROC_INST_ID_ FROM OPSFLOW_STEP_LOG GROUP BY PROC_INST_ID_ "
                + "HAVING MAX(LAST_WRITTEN_) < ?", String.class, Timestamp.from(cutoff));
    }

    int deleteRun(String pi) {
        jdbc.update("DELETE FROM OPSFLOW_STEP_LOG_CHUNK WHERE PROC_INST_ID_ = ?", pi);
        return jdbc.update("DELETE FROM OPSFLOW_STEP_LOG WHERE PROC_INST_ID_ = ?", pi);
    }

    /** One step log being written: lines wait in a buffer until the next flush. */
    static final class JdbcStepLog extends MaskedStepLog {
        private final JdbcStepLogStore store;
        private final String pi;
        private final String aiid;
        private final String activityId;
        private final Object flushing = new Object();
        private StringBuilder pending = new StringBuilder();
        private int pendingLines;
        private long dropped;
        private boolean closed;

        JdbcStepLog(JdbcStepLogStore store, String pi, String aiid, String activityId) {
            this.store = store;
            this.pi = pi;
            this.aiid = aiid;
            this.activityId = activityId;
        }

        @Override
        public void line(String stream, String text) {
            boolean full;
            synchronized (this) {
                String entry = entry(stream, text);
                if (pending.length() + entry.length() > MAX_PENDING_CHARS) {
                    dropped++;
                    return;
                }
                // PostgreSQL text holds no NUL character
                pending.append(Instant.now()).append(' ').append(entry.replace('\0', '\uFFFD')).append('\n');
                pendingLines++;
                full = pendingLines >= FLUSH_LINES || pending.length() >= FLUSH_CHARS;
            }
            if (full) {
                flushQuietly();
            }
        }

        @Override
        public java.nio.file.Path path() {
            return null;
        }

        void flushQuietly() {
            try {
                flush(false);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("step log {} of run {}: cannot write to the database now, kept for the next try: {}", aiid,
                        pi, e.toString());
            }
        }

        /** Writes what waits as one chunk (flushes are serialised, so chunks stay in order). */
        private void flush(boolean end) throws SQLException {
            synchronized (flushing) {
                String text;
                synchronized (this) {
                    if (closed && !end) {
                        return;
                    }
                    if (dropped > 0) {
                        pending.append(Instant.now()).append(" [step] ").append(dropped)
                                .append(" line(s) dropped: the database could not be written\n");
                        dropped = 0;
                    }
                    text = pending.toString();
                    pending = new StringBuilder();
                    pendingLines = 0;
                }
                if (text.isEmpty() && !end) {
                    return;
                }
                try {
                    store.append(pi, aiid, activityId, text, end);
                } catch (SQLException | RuntimeException e) {
                    synchronized (this) {
                        pending.insert(0, text);
                    }
                    throw e;
                }
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
            }
            try {
                flush(true);
            } catch (SQLException | RuntimeException e) {
                // the step's outcome does not depend on its log; the tail variable still has the last lines
                LOG.warn("step log {} of run {}: the last lines could not be written to the database: {}", aiid, pi,
                        e.toString());
            } finally {
                synchronized (this) {
                    closed = true;
                }
                store.closed(this);
            }
        }
    }
}
