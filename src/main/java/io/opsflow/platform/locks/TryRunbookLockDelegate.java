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
        java.util.Optional<RunbookLocks.Held> blocking = locks.blocking(name, execution.getProcessInstanceId());
        execution.setVariable("lockAcquired", blocking.isEmpty());
        if (blocking.isEmpty()) {
            execution.setVariable("runbookLock", name);
        } else {
            // the run in the way, and which of its locks when that is not this very name ("platform:staging")
            execution.setVariable("lockHolder", blocking.get().name().equals(name) ? blocking.get().owner()
                    : blocking.get().owner() + " (holding " + blocking.get().name() + ")");
        }
    }
}
