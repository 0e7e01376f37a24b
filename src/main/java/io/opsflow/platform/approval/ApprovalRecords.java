package io.opsflow.platform.approval;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * opsflow's own record of who started a run and of each approval, in the engine's database, written in the engine's
 * transaction (a record exists exactly when the engine state that goes with it was committed). Nothing here is a
 * process variable: the variables API, a form or a start cannot forge it.
 * <ul>
 * <li>{@code OPSFLOW_RUN}: one row per run, written by the start listener: initiator (the authenticated user or a
 * named system principal), how it was started, whether the run needs an approval.</li>
 * <li>{@code OPSFLOW_APPROVAL}: one row per approval task: the canonical document of the run's inputs and evidence
 * and its SHA-256, the initiator (copied from the run), the eligible group; then the decision, who decided, when,
 * the comment.</li>
 * <li>{@code OPSFLOW_REFUSAL}: refused attempts against a run (forged completion, action without approval…),
 * written in a transaction of their own so that the refusal stays recorded although the attempt rolled back.</li>
 * </ul>
 */
public class ApprovalRecords {
    public static final String PENDING = "PENDING";
    public static final String APPROVED = "APPROVED";
    public static final String REJECTED = "REJECTED";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate separate;

    public ApprovalRecords(JdbcTemplate jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        if (transactions != null) {
            this.separate = new TransactionTemplate(transactions);
            this.separate.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        } else {
            this.separate = null;
        }
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_RUN (PROC_INST_ID_ VARCHAR(64) PRIMARY KEY, "
                + "RUNBOOK_ VARCHAR(255) NOT NULL, INITIATOR_ VARCHAR(255) NOT NULL, STARTED_VIA_ VARCHAR(64) NOT NULL, "
                + "APPROVAL_REQUIRED_ BOOLEAN NOT NULL, ENVIRONMENT_ VARCHAR(64), STARTED_AT_ TIMESTAMP NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_APPROVAL (TASK_ID_ VARCHAR(64) PRIMARY KEY, "
                + "PROC_INST_ID_ VARCHAR(64) NOT NULL, RUNBOOK_ VARCHAR(255) NOT NULL, DOCUMENT_ TEXT NOT NULL, "
                + "SHA256_ VARCHAR(64) NOT NULL, INITIATOR_ VARCHAR(255) NOT NULL, ELIGIBLE_GROUP_ VARCHAR(255), "
                + "REQUESTED_AT_ TIMESTAMP NOT NULL, DECISION_ VARCHAR(16) NOT NULL, DECIDED_BY_ VARCHAR(255), "
                + "DECIDED_AT_ TIMESTAMP, COMMENT_ VARCHAR(2000))");
        jdbc.execute("CREATE INDEX IF NOT EXISTS OPSFLOW_APPROVAL_PI ON OPSFLOW_APPROVAL (PROC_INST_ID_)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_REFUSAL (ID_ VARCHAR(64) PRIMARY KEY, "
                + "PROC_INST_ID_ VARCHAR(64), USER_ID_ VARCHAR(255), PATH_ VARCHAR(64) NOT NULL, "
                + "MESSAGE_ VARCHAR(2000) NOT NULL, AT_ TIMESTAMP NOT NULL)");
        jdbc.execute("CREATE INDEX IF NOT EXISTS OPSFLOW_REFUSAL_PI ON OPSFLOW_REFUSAL (PROC_INST_ID_)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_WINDOW_PASS (PROC_INST_ID_ VARCHAR(64) PRIMARY KEY, "
                + "PASSED_AT_ TIMESTAMP NOT NULL, APPROVAL_TASK_ID_ VARCHAR(64))");
    }

    /**
     * A run passed its maintenance window gate (inside a window, with a fresh approval — {@code approvalTaskId}, or
     * null when it needs none); written in the engine's transaction. The latest pass replaces an earlier one.
     */
    public void recordWindowPass(String processInstanceId, Instant at, String approvalTaskId) {
        jdbc.update("DELETE FROM OPSFLOW_WINDOW_PASS WHERE PROC_INST_ID_ = ?", processInstanceId);
        jdbc.update("INSERT INTO OPSFLOW_WINDOW_PASS (PROC_INST_ID_, PASSED_AT_, APPROVAL_TASK_ID_) VALUES (?, ?, ?)",
                processInstanceId, Timestamp.from(at), approvalTaskId);
    }

    /** The run's latest pass of its maintenance window gate. */
    public Optional<WindowPass> windowPass(String processInstanceId) {
        return jdbc.query("SELECT * FROM OPSFLOW_WINDOW_PASS WHERE PROC_INST_ID_ = ?", (rs, n) -> new WindowPass(
                rs.getTimestamp("PASSED_AT_").toInstant(), rs.getString("APPROVAL_TASK_ID_")), processInstanceId)
                .stream().findFirst();
    }

    /** When a run passed its maintenance window gate, and on which approval. */
    public record WindowPass(Instant at, String approvalTaskId) {
    }

    /** Who started a run and what it needs. */
    public record Run(String processInstanceId, String runbook, String initiator, String startedVia,
                      boolean approvalRequired, String environment, Instant startedAt) {
    }

    /** One approval: what was put in front of the approvers, and what they decided. */
    public record Approval(String taskId, String processInstanceId, String runbook, String document, String sha256,
                           String initiator, String eligibleGroup, Instant requestedAt, String decision,
                           String decidedBy, Instant decidedAt, String comment) {
        public boolean approved() {
            return APPROVED.equals(decision);
        }

        /** The audit view served by {@code GET /api/runs/{id}/approval}: the record, the document's hash and names. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("taskId", taskId);
            m.put("runbook", runbook);
            m.put("requestedBy", initiator);
            m.put("requestedAt", requestedAt == null ? null : requestedAt.toString());
            m.put("eligibleGroup", eligibleGroup);
            m.put("evidenceSha256", sha256);
            m.put("decision", decision);
            m.put("decidedBy", decidedBy);
            m.put("decidedAt", decidedAt == null ? null : decidedAt.toString());
            m.put("comment", comment);
            // the names the signed document covers, not its values: those can hold server paths (plan files,
            // staged dumps) and stay in the database (OPSFLOW_APPROVAL.DOCUMENT_); the approver saw them in the form
            m.put("evidenceVariables", ApprovalDocument.parse(document).names());
            return m;
        }
    }

    /** One refused attempt. */
    public record Refusal(String processInstanceId, String userId, String path, String message, Instant at) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("user", userId);
            m.put("path", path);
            m.put("message", message);
            m.put("at", at.toString());
            return m;
        }
    }

    public void insertRun(Run run) {
        jdbc.update("INSERT INTO OPSFLOW_RUN (PROC_INST_ID_, RUNBOOK_, INITIATOR_, STARTED_VIA_, APPROVAL_REQUIRED_, "
                        + "ENVIRONMENT_, STARTED_AT_) VALUES (?, ?, ?, ?, ?, ?, ?)", run.processInstanceId(),
                run.runbook(), run.initiator(), run.startedVia(), run.approvalRequired(), run.environment(),
                Timestamp.from(run.startedAt()));
    }

    public Optional<Run> run(String processInstanceId) {
        return jdbc.query("SELECT * FROM OPSFLOW_RUN WHERE PROC_INST_ID_ = ?", RUN, processInstanceId).stream()
                .findFirst();
    }

    public void insertApproval(Approval a) {
        jdbc.update("INSERT INTO OPSFLOW_APPROVAL (TASK_ID_, PROC_INST_ID_, RUNBOOK_, DOCUMENT_, SHA256_, INITIATOR_, "
                        + "ELIGIBLE_GROUP_, REQUESTED_AT_, DECISION_) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", a.taskId(),
                a.processInstanceId(), a.runbook(), a.document(), a.sha256(), a.initiator(), a.eligibleGroup(),
                Timestamp.from(a.requestedAt()), PENDING);
    }

    /** Records the decision on a pending approval; false when there is no pending record for the task. */
    public boolean decide(String taskId, String decision, String decidedBy, String comment, Instant at) {
        return jdbc.update("UPDATE OPSFLOW_APPROVAL SET DECISION_ = ?, DECIDED_BY_ = ?, DECIDED_AT_ = ?, COMMENT_ = ? "
                        + "WHERE TASK_ID_ = ? AND DECISION_ = ?", decision, decidedBy, Timestamp.from(at),
                comment == null ? null : clip(comment, 2000), taskId, PENDING) == 1;
    }

    public Optional<Approval> approvalForTask(String taskId) {
        return jdbc.query("SELECT * FROM OPSFLOW_APPROVAL WHERE TASK_ID_ = ?", APPROVAL, taskId).stream().findFirst();
    }

    /** The run's approvals, newest first. */
    public List<Approval> approvals(String processInstanceId) {
        return jdbc.query("SELECT * FROM OPSFLOW_APPROVAL WHERE PROC_INST_ID_ = ? ORDER BY REQUESTED_AT_ DESC",
                APPROVAL, processInstanceId);
    }

    /** The run's latest approval (the one a step acts on), if any. */
    public Optional<Approval> latestApproval(String processInstanceId) {
        return approvals(processInstanceId).stream().findFirst();
    }

    /**
     * Records a refused attempt in a transaction of its own (when a transaction manager is configured), so that it
     * survives the rollback of the attempt itself. Never throws: a refusal must not turn into another error.
     */
    public void recordRefusal(String processInstanceId, String userId, String path, String message) {
        Runnable insert = () -> jdbc.update("INSERT INTO OPSFLOW_REFUSAL (ID_, PROC_INST_ID_, USER_ID_, PATH_, MESSAGE_, "
                        + "AT_) VALUES (?, ?, ?, ?, ?, ?)", java.util.UUID.randomUUID().toString(), processInstanceId,
                userId, path, clip(message, 2000), Timestamp.from(Instant.now()));
        try {
            if (separate != null) {
                separate.executeWithoutResult(s -> insert.run());
            } else {
                insert.run();
            }
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ApprovalRecords.class)
                    .warn("could not record refusal for run {}: {}", processInstanceId, e.toString());
        }
    }

    public List<Refusal> refusals(String processInstanceId) {
        return jdbc.query("SELECT * FROM OPSFLOW_REFUSAL WHERE PROC_INST_ID_ = ? ORDER BY AT_", (rs, i) ->
                new Refusal(rs.getString("PROC_INST_ID_"), rs.getString("USER_ID_"), rs.getString("PATH_"),
                        rs.getString("MESSAGE_"), rs.getTimestamp("AT_").toInstant()), processInstanceId);
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static final RowMapper<Run> RUN = (rs, i) -> new Run(rs.getString("PROC_INST_ID_"),
            rs.getString("RUNBOOK_"), rs.getString("INITIATOR_"), rs.getString("STARTED_VIA_"),
            rs.getBoolean("APPROVAL_REQUIRED_"), rs.getString("ENVIRONMENT_"), instant(rs.getTimestamp("STARTED_AT_")));

    private static final RowMapper<Approval> APPROVAL = (rs, i) -> new Approval(rs.getString("TASK_ID_"),
            rs.getString("PROC_INST_ID_"), rs.getString("RUNBOOK_"), rs.getString("DOCUMENT_"),
            rs.getString("SHA256_"), rs.getString("INITIATOR_"), rs.getString("ELIGIBLE_GROUP_"),
            instant(rs.getTimestamp("REQUESTED_AT_")), rs.getString("DECISION_"), rs.getString("DECIDED_BY_"),
            instant(rs.getTimestamp("DECIDED_AT_")), rs.getString("COMMENT_"));
}
