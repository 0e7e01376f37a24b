package io.opsflow.backup.delegate;

import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A restore that failed in a modelled way (checksum mismatch, does not verify, writers unhealthy): drops a scratch
 * restore, removes the staged file, records the failure (a failed drill is a result too). Stopped writers of an
 * original that does not verify stay stopped: the reason says so, an operator decides.
 */
@Component("restoreFailed")
public class RestoreFailedDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreFailedDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        var target = support.target(ex);
        String reason = Vars.opt(ex, "failureReason");
        String restoredInto = Vars.opt(ex, "restoredInto");
        if (support.scratch(ex) && restoredInto != null) {
            ops.dropScratch(target, restoredInto, log);
            ex.setVariable("scratchDropped", true);
        }
        String staged = Vars.opt(ex, "stagedPath");
        if (staged != null) {
            ops.removeFromHost(target, staged, log);
        }
        List<String> stopped = Vars.stringList(Vars.opt(ex, "stoppedWriters"));
        boolean writersStarted = reason != null && reason.startsWith(RestoreHealthDelegate.REASON_PREFIX);
        if (!support.scratch(ex) && !stopped.isEmpty() && !writersStarted) {
            reason = reason + "; writers left stopped: " + stopped;
            ex.setVariable("failureReason", reason);
        }
        support.record(ex, "FAILED", reason);
    }
}
