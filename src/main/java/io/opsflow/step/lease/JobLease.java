package io.opsflow.step.lease;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.camunda.bpm.engine.impl.cfg.TransactionListener;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutorContext;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Keeps the job of a long step locked while the step runs, so the job executor (of this or any other node) never
 * picks it up a second time (camunda-bpm-platform#2666: a job outliving its lock runs twice — a second concurrent
 * {@code terraform apply} is an outage).
 * <p>
 * While the step runs, a heartbeat pushes the job's {@code LOCK_EXP_TIME_} forward to now + lock time, on its own
 * connection (auto-commit), guarded by the lock owner, without touching {@code REV_} — so the engine's own final
 * delete/update of the job (optimistic locking on {@code REV_}) is unaffected. If the node dies, the heartbeat dies
 * with it and the lock expires after at most one lock time (2 minutes by default): another node resumes the step.
 * Outside a job (a test executing a delegate directly) the lease does nothing.
 */
@Component
public class JobLease {
    private static final Logger LOG = LoggerFactory.getLogger(JobLease.class);

    private final JdbcTemplate jdbc;
    private final Duration lockTime;
    private final Duration heartbeat;
    private final String tablePrefix;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "opsflow-job-lease");
        t.setDaemon(true);
        return t;
    });

    public JobLease(DataSource dataSource,
                    @Value("${camunda.bpm.job-execution.lock-time-in-millis:300000}") long lockTimeMillis,
                    @Value("${camunda.bpm.database.table-prefix:}") String tablePrefix) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.lockTime = Duration.ofMillis(lockTimeMillis);
        this.heartbeat = Duration.ofMillis(Math.max(200, lockTimeMillis / 4));
        this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
    }

    /** Holds the current job's lock until {@link Lease#close()}; a no-op lease when not running in a job. */
    public Lease hold() {
        JobExecutorContext ctx = Context.getJobExecutorContext();
        JobEntity job = ctx == null ? null : ctx.getCurrentJob();
        if (job == null || job.getLockOwner() == null) {
            return Lease.NONE;
        }
        String jobId = job.getId();
        String owner = job.getLockOwner();
        ScheduledFuture<?> beat = scheduler.scheduleWithFixedDelay(() -> extend(jobId, owner), 0,
                heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        LOG.debug("holding lease on job {} (owner {}), heartbeat every {} ms", jobId, owner, heartbeat.toMillis());
        return () -> beat.cancel(false);
    }

    /**
     * Holds the current job's lock until the engine's transaction for this job ends (commit or rollback). The
     * platform calls this at the start of every service task (see OpsflowEnginePlugin), so every step that runs in
     * a job is covered without each delegate having to remember it.
     */
    public void holdUntilTransactionEnds() {
        CommandContext cc = Context.getCommandContext();
        if (cc == null) {
            return;
        }
        Lease lease = hold();
        if (lease == Lease.NONE) {
            return;
        }
        TransactionListener release = commandContext -> lease.close();
        cc.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, release);
        cc.getTransactionContext().addTransactionListener(TransactionState.ROLLED_BACK, release);
    }

    void extend(String jobId, String owner) {
        try {
            Timestamp until = new Timestamp(System.currentTimeMillis() + lockTime.toMillis());
            int n = jdbc.update("UPDATE " + tablePrefix + "ACT_RU_JOB SET LOCK_EXP_TIME_ = ? WHERE ID_ = ? AND LOCK_OWNER_ = ?",
                    until, jobId, owner);
            if (n == 0) {
                LOG.warn("job lease for {} lost: the job is no longer locked by {}", jobId, owner);
            }
        } catch (RuntimeException e) {
            LOG.warn("job lease heartbeat for {} failed: {}", jobId, e.toString());
        }
    }

    /** A held lease; closing it stops the heartbeat (the engine then completes or fails the job as usual). */
    @FunctionalInterface
    public interface Lease extends AutoCloseable {
        Lease NONE = () -> { };

        @Override
        void close();
    }
}
