package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Task_RestoreIdle, compensation handler of Task_DeployIdle: puts each host's idle instance back as it was, in
 * reverse order: the version it ran before, or (when it did not exist) deregistered and removed. Nothing of the new
 * version is left running.
 */
@Component("releaseRestoreIdle")
public class RestoreIdleDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreIdleDelegate.class);
    private final ReleaseOperations ops;

    public RestoreIdleDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        List<PlanEntry> entries = new ArrayList<>(v.plan().entries());
        Collections.reverse(entries);
        for (PlanEntry e : entries) {
            if (e.instancePreviousVersion() == null) {
                ops.deregisterBackend(v.environment(), v.application(), e.host(), e.instance());
                ops.removeInstance(v.environment(), v.application(), e.host(), e.instance(), e.toVersion());
                LOG.info("rollback: removed idle {}/{}", e.host(), e.instance());
            } else {
                ops.restore(v.environment(), v.application(), e.host(), e.instance(), e.instancePreviousVersion());
                LOG.info("rollback: idle {}/{} back to {}", e.host(), e.instance(), e.instancePreviousVersion());
            }
            v.appendHost(RESTORED_HOSTS, e.host());
        }
    }
}
