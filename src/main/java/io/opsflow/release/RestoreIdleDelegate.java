package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_RestoreIdle, compensation handler of Task_DeployIdle: puts each host's idle instance back as it was, in
 * reverse order: the version it ran before, or (when it did not exist) deregistered and removed. Nothing of the new
 * version is left running.
 */
@Component("releaseRestoreIdle")
class RestoreIdleDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreIdleDelegate.class);

    RestoreIdleDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        List<PlanEntry> entries = new ArrayList<>(v.plan().entries());
        Collections.reverse(entries);
        for (PlanEntry e : entries) {
            if (e.instancePreviousVersion() == null) {
                ops.deregisterBackend(v.environment(), v.application(), e.host(), e.instance(), log);
                ops.removeInstance(v.environment(), v.application(), e.host(), e.instance(), e.toVersion(), log);
                LOG.info("rollback: removed idle {}/{}", e.host(), e.instance());
            } else {
                ops.restore(v.environment(), v.application(), e.host(), e.instance(), e.instancePreviousVersion(), log);
                LOG.info("rollback: idle {}/{} back to {}", e.host(), e.instance(), e.instancePreviousVersion());
            }
            v.appendHost(RESTORED_HOSTS, e.host());
        }
    }
}
