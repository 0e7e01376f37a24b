package io.opsflow.platform.approval;

import org.camunda.bpm.engine.impl.interceptor.Command;
import org.camunda.bpm.engine.impl.jobexecutor.FailedJobCommandFactory;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;

/**
 * Wraps the engine's handling of a failed job: a step refused by the {@link ActionGuard} is not a technical failure
 * that a retry could fix, so after the usual bookkeeping (exception message and stack trace kept on the job) its
 * retries go to 0 at once and Camunda raises the incident, whose message says why. Other failures are untouched.
 */
public class RefusalsFailAtOnce implements FailedJobCommandFactory {
    private final FailedJobCommandFactory delegate;

    public RefusalsFailAtOnce(FailedJobCommandFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Command<Object> getCommand(String jobId, Throwable exception) {
        Command<Object> usual = delegate.getCommand(jobId, exception);
        if (!isRefusal(exception)) {
            return usual;
        }
        return ctx -> {
            Object result = usual.execute(ctx);
            JobEntity job = ctx.getJobManager().findJobById(jobId);
            if (job != null && job.getRetries() > 0) {
                job.setRetries(0);
            }
            return result;
        };
    }

    static boolean isRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ApprovalMissingException) {
                return true;
            }
        }
        return false;
    }
}
