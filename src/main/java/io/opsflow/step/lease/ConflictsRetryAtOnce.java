package io.opsflow.step.lease;

import java.util.LinkedHashMap;
import java.util.Map;

import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.interceptor.Command;
import org.camunda.bpm.engine.impl.jobexecutor.FailedJobCommandFactory;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A job that failed on an {@link OptimisticLockingException} (two jobs of one run changed the same row at once, e.g.
 * parallel branches meeting at a join) is retried at once: unlocked, its retries and due date untouched, the job
 * executor told. Camunda's default handling uses up no retry for a conflict, but with a retry cycle configured the job
 * waits the retry interval ({@code failed-job-retry-time-cycle}, a minute in opsflow) although nothing is wrong with
 * the step: twenty parallel branches meeting at a join would crawl.
 * <p>
 * A job that keeps conflicting gets this treatment {@value #MAX_IMMEDIATE} times in a row (per job, counted in this
 * node's memory); after that the engine's usual handling (and, eventually, an incident) applies. Every other failure
 * goes to the engine's handling unchanged.
 */
@Component
public class ConflictsRetryAtOnce extends AbstractProcessEnginePlugin {
    private static final Logger LOG = LoggerFactory.getLogger(ConflictsRetryAtOnce.class);
    static final int MAX_IMMEDIATE = 10;
    private static final int TRACKED_JOBS = 10_000;

    private final Map<String, Integer> conflicts = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > TRACKED_JOBS;
        }
    };

    @Override
    public void postInit(ProcessEngineConfigurationImpl configuration) {
        configuration.setFailedJobCommandFactory(wrap(configuration.getFailedJobCommandFactory()));
    }

    FailedJobCommandFactory wrap(FailedJobCommandFactory usual) {
        return (jobId, exception) -> {
            if (!isConflict(exception) || !another(jobId)) {
                return usual.getCommand(jobId, exception);
            }
            return ctx -> {
                JobEntity job = ctx.getJobManager().findJobById(jobId);
                if (job != null) {
                    LOG.debug("job {} hit an optimistic-locking conflict: retrying at once", jobId);
                    job.unlock();
                    ctx.getTransactionContext().addTransactionListener(
                            org.camunda.bpm.engine.impl.cfg.TransactionState.COMMITTED,
                            c -> c.getProcessEngineConfiguration().getJobExecutor().jobWasAdded());
                }
                return null;
            };
        };
    }

    private synchronized boolean another(String jobId) {
        int n = conflicts.merge(jobId, 1, Integer::sum);
        if (n > MAX_IMMEDIATE) {
            conflicts.remove(jobId);
            return false;
        }
        return true;
    }

    static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OptimisticLockingException) {
                return true;
            }
        }
        return false;
    }
}
