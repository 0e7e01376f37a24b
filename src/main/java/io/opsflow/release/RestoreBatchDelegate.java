package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;
import static io.opsflow.release.ReleaseVars.REVERTED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.fleet.PerHost;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_RestoreBatch, compensation handler of Task_ActivateBatch: restores the previous version on exactly the hosts
 * of that batch, in reverse order (drain, restore, undrain), skipping hosts the health gate already reverted within
 * the failure budget. Runs with the batch's snapshot ({@code batchIndex}).
 */
@Component("releaseRestoreBatch")
class RestoreBatchDelegate extends ReleaseStep {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreBatchDelegate.class);

    RestoreBatchDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        int batch = v.batchIndex();
        List<String> reverted = v.hostList(REVERTED_HOSTS);
        List<PlanEntry> entries = new ArrayList<>(v.plan().batch(batch));
        Collections.reverse(entries);
        List<PlanEntry> toRestore = entries.stream().filter(e -> {
            if (reverted.contains(e.host())) {
                LOG.info("rollback batch {}: {} was already reverted by its health gate", batch + 1, e.host());
                return false;
            }
            return true;
        }).toList();
        // the batch's hosts at once, as they were activated (PerHost waits for all before failing the step)
        PerHost.forEach(toRestore, ops.parallelism(v.environment()), e -> {
            ops.drain(v.environment(), v.application(), e.host(), e.instance(), log);
            ops.restore(v.environment(), v.application(), e.host(), e.instance(), e.instancePreviousVersion(), log);
            ops.undrain(v.environment(), v.application(), e.host(), e.instance(), log);
            LOG.info("rollback batch {}: {}/{} back to {}", batch + 1, e.host(), e.instance(),
                    e.instancePreviousVersion());
        });
        toRestore.forEach(e -> v.appendHost(RESTORED_HOSTS, e.host()));
    }
}
