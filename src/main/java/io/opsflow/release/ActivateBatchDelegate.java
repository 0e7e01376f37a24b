package io.opsflow.release;

import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.fleet.PerHost;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_ActivateBatch (rolling, canary): for each host of the current batch, drain its backend and activate the new
 * version on its live instance. Compensated by {@link RestoreBatchDelegate}. An instance that comes up unhealthy is
 * not an error here: the health gate that follows decides.
 */
@Component("releaseActivateBatch")
class ActivateBatchDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(ActivateBatchDelegate.class);

    ActivateBatchDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        int batch = v.batchIndex();
        // the hosts of a batch go out of service together: drained and activated at once, up to the environment's
        // parallelism (PerHost waits for every host before it fails the step with the first failure)
        PerHost.forEach(v.plan().batch(batch), ops.parallelism(v.environment()), e -> {
            ops.drain(v.environment(), v.application(), e.host(), e.instance(), log);
            Activation a = ops.activate(v.environment(), v.application(), e.host(), e.instance(), e.toVersion(), log);
            if (!Objects.equals(a.previousVersion(), e.instancePreviousVersion())) {
                LOG.warn("{}/{} ran {} when activated, the plan said {}; a rollback restores the planned {}",
                        e.host(), e.instance(), a.previousVersion(), e.instancePreviousVersion(),
                        e.instancePreviousVersion());
            }
            LOG.info("batch {}: {}/{} {} -> {} (healthy: {})", batch + 1, e.host(), e.instance(),
                    a.previousVersion(), a.version(), a.healthy());
        });
    }
}
