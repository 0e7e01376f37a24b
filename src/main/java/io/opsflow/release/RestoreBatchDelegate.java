package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;
import static io.opsflow.release.ReleaseVars.REVERTED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Task_RestoreBatch, compensation handler of Task_ActivateBatch: restores the previous version on exactly the hosts
 * of that batch, in reverse order (drain, restore, undrain), skipping hosts the health gate already reverted within
 * the failure budget. Runs with the batch's snapshot ({@code batchIndex}).
 */
@Component("releaseRestoreBatch")
public class RestoreBatchDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreBatchDelegate.class);
    private final ReleaseOperations ops;

    public RestoreBatchDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        int batch = v.batchIndex();
        List<String> reverted = v.hostList(REVERTED_HOSTS);
        List<PlanEntry> entries = new ArrayList<>(v.plan().batch(batch));
        Collections.reverse(entries);
        for (PlanEntry e : entries) {
            if (reverted.contains(e.host())) {
                LOG.info("rollback batch {}: {} was already reverted by its health gate", batch + 1, e.host());
                continue;
            }
            ops.drain(v.environment(), v.application(), e.host(), e.instance());
            ops.restore(v.environment(), v.application(), e.host(), e.instance(), e.instancePreviousVersion());
            ops.undrain(v.environment(), v.application(), e.host(), e.instance());
            v.appendHost(RESTORED_HOSTS, e.host());
            LOG.info("rollback batch {}: {}/{} back to {}", batch + 1, e.host(), e.instance(),
                    e.instancePreviousVersion());
        }
    }
}
