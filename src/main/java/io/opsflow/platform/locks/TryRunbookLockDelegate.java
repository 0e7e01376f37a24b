package io.opsflow.platform.locks;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** For runs that skip instead of refuse (backups): input {@code lockName}; output {@code lockAcquired}. */
@Component("tryRunbookLock")
public class TryRunbookLockDelegate implements JavaDelegate {
    private final RunbookLocks locks;

    public TryRunbookLockDelegate(RunbookLocks locks) {
        this.locks = locks;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String name = (String) execution.getVariable("lockName");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("tryRunbookLock needs the variable lockName");
        }
        boolean ok = locks.tryAcquire(name, execution.getProcessInstanceId());
        execution.setVariable("lockAcquired", ok);
        if (ok) {
            execution.setVariable("runbookLock", name);
        } else {
            execution.setVariable("lockHolder", locks.holder(name).orElse(null));
        }
    }
}
