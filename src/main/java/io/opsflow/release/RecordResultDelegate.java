package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.HOSTS_AFTER;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_RecordResult: observes the fleet once more and records {@code hostsAfter} (host → version it serves). */
@Component("releaseRecordResult")
class RecordResultDelegate extends ReleaseStep {
    RecordResultDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        v.setVersions(HOSTS_AFTER, ops.observe(v.environment(), v.application(), log).liveVersions());
    }
}
