package io.opsflow.platform.locks;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Named locks ("release:staging/webapp", "backup:production/db", "platform:staging") held by a process instance,
 * stored in opsflow's own table in the engine's database and written in the engine's transaction: a lock is taken
 * together with the start of the run or not at all, and released when the run ends. Locks of one environment exclude
 * each other as {@link LockNames#conflict} says (an environment-wide lock excludes every lock of its environment).
 * Taking a lock first locks the environment's row in {@code OPSFLOW_LOCK_SCOPE} until the transaction ends, so two
 * starts racing for conflicting names in one environment are serialised: the second sees the first's lock once it
 * commits (on every node of a cluster: the row lock is the database's). A lock whose owner is no longer running (the
 * instance was deleted without listeners, the database restored…) is taken over instead of blocking forever.
 */
@Component
public class RunbookLocks {
    private final JdbcTemplate jdbc;

    public RunbookLocks(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_LOCK (NAME_ VARCHAR(200) PRIMARY KEY, "
                + "OWNER_ VARCHAR(64) NOT NULL, ACQUIRED_ TIMESTAMP NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_LOCK_SCOPE (SCOPE_ VARCHAR(200) PRIMARY KEY)");
    }

    /**
     * Takes the lock for {@code owner} or throws {@link RunbookLockedException} naming the lock and the run in the
     * way. Re-entrant for the same owner.
     */
    public void acquire(String name, String owner) {
        Optional<Held> blocking = take(name, owner);
        if (blocking.isPresent()) {
            throw new RunbookLockedException(blocking.get().name(), blocking.get().owner(), name);
        }
    }

    /** Takes the lock if nothing conflicting is held (or only stale locks); returns whether {@code owner} holds it. */
    public boolean tryAcquire(String name, String owner) {
        return take(name, owner).isEmpty();
    }

    /** Takes the lock if nothing conflicting is held; otherwise the lock held in the way and its run. */
    public Optional<Held> blocking(String name, String owner) {
        return take(name, owner);
    }

    /** A lock held by a run. */
    public record Held(String name, String owner) {
    }

    private Optional<Held> take(String name, String owner) {
        String env = LockNames.environment(name);
        if (env != null) {
            serialise(env);
        }
        List<Held> held = env == null
                ? jdbc.query("SELECT NAME_, OWNER_ FROM OPSFLOW_LOCK WHERE NAME_ = ?",
                (rs, i) -> new Held(rs.getString(1), rs.getString(2)), name)
                : jdbc.query("SELECT NAME_, OWNER_ FROM OPSFLOW_LOCK WHERE NAME_ LIKE ? OR NAME_ LIKE ?",
                (rs, i) -> new Held(rs.getString(1), rs.getString(2)), "%:" + env, "%:" + env + "/%");
        for (Held h : held) {
            if (!LockNames.conflict(name, h.name()) || h.owner().equals(owner)) {
                continue;
            }
            if (isRunning(h.owner())) {
                return Optional.of(h);
            }
            // stale: its run is gone
            jdbc.update("DELETE FROM OPSFLOW_LOCK WHERE NAME_ = ? AND OWNER_ = ?", h.name(), h.owner());
        }
        if (held.stream().anyMatch(h -> h.name().equals(name) && h.owner().equals(owner))) {
            return Optional.empty();
        }
        try {
            jdbc.update("INSERT INTO OPSFLOW_LOCK (NAME_, OWNER_, ACQUIRED_) VALUES (?, ?, ?)", name, owner,
                    Timestamp.from(Instant.now()));
            return Optional.empty();
        } catch (DuplicateKeyException raced) {
            // only for names outside the scheme (not serialised): another start took the same name at this moment
            return Optional.of(new Held(name, "another run that started at the same moment"));
        }
    }

    /** Locks the environment's scope row until the transaction ends (creating the row once, outside it). */
    private void serialise(String env) {
        String scope = "env:" + env;
        List<String> row = jdbc.queryForList("SELECT SCOPE_ FROM OPSFLOW_LOCK_SCOPE WHERE SCOPE_ = ? FOR UPDATE",
                String.class, scope);
        if (!row.isEmpty()) {
            return;
        }
        // a row of its own, committed at once on a connection of its own (a failed INSERT must not poison the
        // engine's transaction on PostgreSQL): a concurrent creator's duplicate is fine
        try (java.sql.Connection c = jdbc.getDataSource().getConnection()) {
            c.setAutoCommit(true);
            try (java.sql.PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO OPSFLOW_LOCK_SCOPE (SCOPE_) VALUES (?)")) {
                ps.setString(1, scope);
                ps.executeUpdate();
            } catch (java.sql.SQLException duplicate) {
                // created by another start in the meantime
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create the lock scope " + scope + ": " + e.getMessage(), e);
        }
        jdbc.queryForList("SELECT SCOPE_ FROM OPSFLOW_LOCK_SCOPE WHERE SCOPE_ = ? FOR UPDATE", String.class, scope);
    }

    public Optional<String> holder(String name) {
        List<String> owners = jdbc.queryForList("SELECT OWNER_ FROM OPSFLOW_LOCK WHERE NAME_ = ?", String.class,
                name);
        return owners.stream().findFirst();
    }

    public void release(String name, String owner) {
        jdbc.update("DELETE FROM OPSFLOW_LOCK WHERE NAME_ = ? AND OWNER_ = ?", name, owner);
    }

    public int releaseAll(String owner) {
        return jdbc.update("DELETE FROM OPSFLOW_LOCK WHERE OWNER_ = ?", owner);
    }

    public List<Map<String, Object>> list() {
        return jdbc.queryForList("SELECT NAME_ AS name, OWNER_ AS owner, ACQUIRED_ AS acquired FROM OPSFLOW_LOCK "
                + "ORDER BY NAME_");
    }

    private boolean isRunning(String processInstanceId) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM ACT_RU_EXECUTION WHERE PROC_INST_ID_ = ?",
                Integer.class, processInstanceId);
        return n != null && n > 0;
    }
}
