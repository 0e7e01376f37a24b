package io.opsflow.platform.runbook;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import java.util.function.Supplier;

import io.opsflow.platform.locks.RunbookLocks;

/** Releases the run's locks when the process instance ends: completion, error end, or cancellation. */
public class RunbookEndListener implements ExecutionListener {
    private final Supplier<RunbookLocks> locks;

    public RunbookEndListener(Supplier<RunbookLocks> locks) {
        this.locks = locks;
    }

    @Override
    public void notify(DelegateExecution execution) {
        if (execution.getId().equals(execution.getProcessInstanceId())) {
            locks.get().releaseAll(execution.getProcessInstanceId());
        }
    }
}
