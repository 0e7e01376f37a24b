package io.opsflow.backup.delegate;

import java.util.List;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Health-checks the restarted writers (HEALTH_FAILED when one stays unhealthy). */
@Component("restoreHealth")
public class RestoreHealthDelegate extends RunbookStep {
    public static final String HEALTH_FAILED = "HEALTH_FAILED";
    static final String REASON_PREFIX = "restored, but writers are unhealthy: ";
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreHealthDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        List<String> bad = ops.unhealthy(support.target(ex), Vars.stringList(Vars.opt(ex, "stoppedWriters")), log);
        if (!bad.isEmpty()) {
            String reason = REASON_PREFIX + String.join("; ", bad);
            ex.setVariable("failureReason", reason);
            throw new BpmnError(HEALTH_FAILED, reason);
        }
    }
}
