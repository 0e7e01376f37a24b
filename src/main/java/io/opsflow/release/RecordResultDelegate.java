package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.HOSTS_AFTER;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Task_RecordResult: observes the fleet once more and records {@code hostsAfter} (host → version it serves). */
@Component("releaseRecordResult")
public class RecordResultDelegate implements JavaDelegate {
    private final ReleaseOperations ops;

    public RecordResultDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        v.setVersions(HOSTS_AFTER, ops.observe(v.environment(), v.application()).liveVersions());
    }
}
