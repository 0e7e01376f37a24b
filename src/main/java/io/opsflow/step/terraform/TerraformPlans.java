package io.opsflow.step.terraform;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Saved Terraform plans in the database (table {@code OPSFLOW_TF_PLAN}, keyed by process instance and the plan's
 * SHA-256), so that a plan approved while one engine node ran the run can be applied by any node: the plan step
 * stores the binary plan it made; apply materialises exactly the approved bytes into a temporary file on the node
 * that applies. A re-plan of a run replaces its plan of the same kind (plan or destroy plan), so an older approval
 * can never apply. The applied mark (a retried apply does not apply twice) lives here too.
 * <p>
 * Rows go with the run's history: {@link #sweep} (hourly) removes the plans of runs that are neither running nor in
 * the history any more (Camunda's history cleanup removed them), once older than {@code opsflow.terraform.plans.min-age}.
 */
@Component
public class TerraformPlans {
    private static final Logger LOG = LoggerFactory.getLogger(TerraformPlans.class);

    private final JdbcTemplate jdbc;
    private final Duration minAge;

    public TerraformPlans(JdbcTemplate jdbc, @Value("${opsflow.terraform.plans.min-age:P1D}") Duration minAge) {
        this.jdbc = jdbc;
        this.minAge = minAge;
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_TF_PLAN (PROC_INST_ID_ VARCHAR(128) NOT NULL, "
                + "SHA256_ VARCHAR(64) NOT NULL, DESTROY_ BOOLEAN NOT NULL, PLAN_ BYTEA NOT NULL, "
                + "CREATED_AT_ TIMESTAMP NOT NULL, APPLIED_AT_ TIMESTAMP, PRIMARY KEY (PROC_INST_ID_, SHA256_))");
        jdbc.execute("ALTER TABLE OPSFLOW_TF_PLAN ADD COLUMN IF NOT EXISTS APPLY_STARTED_AT_ TIMESTAMP");
    }

    /** A stored plan. */
    public record Stored(String runId, String sha256, boolean destroy, byte[] plan, Instant createdAt,
                         Instant appliedAt) {
    }

    /** Stores the run's new plan, replacing the run's earlier plan of the same kind (it needs a new approval). */
    public void save(String runId, String sha256, boolean destroy, byte[] plan) {
        jdbc.update("DELETE FROM OPSFLOW_TF_PLAN WHERE PROC_INST_ID_ = ? AND (DESTROY_ = ? OR SHA256_ = ?)",
                runId, destroy, sha256);
        jdbc.update("INSERT INTO OPSFLOW_TF_PLAN (PROC_INST_ID_, SHA256_, DESTROY_, PLAN_, CREATED_AT_) "
                + "VALUES (?, ?, ?, ?, ?)", runId, sha256, destroy, plan, Timestamp.from(Instant.now()));
    }

    /** The run's plan with this SHA-256. */
    public Optional<Stored> find(String runId, String sha256) {
        return jdbc.query("SELECT * FROM OPSFLOW_TF_PLAN WHERE PROC_INST_ID_ = ? AND SHA256_ = ?",
                (rs, i) -> new Stored(rs.getString("PROC_INST_ID_"), rs.getString("SHA256_"), rs.getBoolean("DESTROY_"),
                        rs.getBytes("PLAN_"), rs.getTimestamp("CREATED_AT_").toInstant(),
                        rs.getTimestamp("APPLIED_AT_") == null ? null : rs.getTimestamp("APPLIED_AT_").toInstant()),
                runId, sha256.toLowerCase(java.util.Locale.ROOT)).stream().findFirst();
    }

    /** The SHA-256 of every plan stored for the run (newest first). */
    public List<String> shas(String runId) {
        return jdbc.queryForList("SELECT SHA256_ FROM OPSFLOW_TF_PLAN WHERE PROC_INST_ID_ = ? ORDER BY CREATED_AT_ DESC",
                String.class, runId);
    }

    /**
     * Records that an apply of the run's plan begins, committed at once on a connection of its own (outside the
     * step's transaction, so the record survives a node killed in the middle of the apply); returns when an earlier
     * apply of this plan began ({@code null} if none did). An earlier start without {@link #markApplied} is an apply
     * that was interrupted (node killed, command failed) and may have changed part of the state.
     */
    public Instant beginApply(String runId, String sha256) {
        List<Timestamp> earlier = jdbc.queryForList("SELECT APPLY_STARTED_AT_ FROM OPSFLOW_TF_PLAN WHERE "
                + "PROC_INST_ID_ = ? AND SHA256_ = ?", Timestamp.class, runId, sha256);
        try (java.sql.Connection c = java.util.Objects.requireNonNull(jdbc.getDataSource()).getConnection();
             var st = c.prepareStatement("UPDATE OPSFLOW_TF_PLAN SET APPLY_STARTED_AT_ = ? WHERE PROC_INST_ID_ = ? "
                     + "AND SHA256_ = ?")) {
            c.setAutoCommit(true);
            st.setTimestamp(1, Timestamp.from(Instant.now()));
            st.setString(2, runId);
            st.setString(3, sha256);
            st.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot record the start of the apply of run " + runId + "'s plan "
                    + sha256 + ": " + e.getMessage(), e);
        }
        return earlier.isEmpty() || earlier.get(0) == null ? null : earlier.get(0).toInstant();
    }

    public void markApplied(String runId, String sha256) {
        jdbc.update("UPDATE OPSFLOW_TF_PLAN SET APPLIED_AT_ = ? WHERE PROC_INST_ID_ = ? AND SHA256_ = ?",
                Timestamp.from(Instant.now()), runId, sha256);
    }

    /** Removes every plan of the run; how many. */
    public int deleteRun(String runId) {
        return jdbc.update("DELETE FROM OPSFLOW_TF_PLAN WHERE PROC_INST_ID_ = ?", runId);
    }

    @Scheduled(initialDelayString = "${opsflow.terraform.plans.sweep-initial-delay:PT10M}",
            fixedDelayString = "${opsflow.terraform.plans.sweep-interval:PT1H}")
    public void scheduledSweep() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("sweep of stored Terraform plans failed: {}", e.toString());
        }
    }

    /** Removes the plans of runs whose history is gone (and older than the minimum age); the run ids swept. */
    public List<String> sweep() {
        List<String> gone = jdbc.queryForList("SELECT DISTINCT p.PROC_INST_ID_ FROM OPSFLOW_TF_PLAN p WHERE "
                + "p.CREATED_AT_ < ? AND NOT EXISTS (SELECT 1 FROM ACT_HI_PROCINST h WHERE h.PROC_INST_ID_ = "
                + "p.PROC_INST_ID_) AND NOT EXISTS (SELECT 1 FROM ACT_RU_EXECUTION e WHERE e.PROC_INST_ID_ = "
                + "p.PROC_INST_ID_)", String.class, Timestamp.from(Instant.now().minus(minAge)));
        gone.forEach(this::deleteRun);
        if (!gone.isEmpty()) {
            LOG.info("stored Terraform plans of {} run(s) removed with their history: {}", gone.size(), gone);
        }
        return gone;
    }
}
