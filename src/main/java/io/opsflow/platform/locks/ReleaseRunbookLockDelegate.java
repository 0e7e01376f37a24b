package io.opsflow.platform.locks;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Releases every lock the run holds (they are released at the end of the run anyway). */
@Component("releaseRunbookLock")
public class ReleaseRunbookLockDelegate implements JavaDelegate {
    private final RunbookLocks locks;

    public ReleaseRunbookLockDelegate(RunbookLocks locks) {
        this.locks = locks;
    }

    @Override
    public void execute(DelegateExecution execution) {
        locks.releaseAll(execution.getProcessInstanceId());
    }
}
