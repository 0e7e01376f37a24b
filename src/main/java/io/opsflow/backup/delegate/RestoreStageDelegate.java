package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.ChecksumMismatchException;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.RestoreOperations;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Verifies the backup's SHA-256 offsite and on the host before anything is touched; a damaged or missing copy is
 * the modelled outcome CHECKSUM_MISMATCH (the run ends FAILED, nothing was changed).
 */
@Component("restoreStage")
public class RestoreStageDelegate extends RunbookStep {
    public static final String CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH";
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreStageDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        try {
            ex.setVariable("stagedPath", ops.stageOnHost(support.target(ex), support.backup(ex), log));
            ex.setVariable("checksumVerified", true);
        } catch (ChecksumMismatchException | OffsiteStore.NoSuchObjectException e) {
            ex.setVariable("failureReason", e.getMessage());
            throw new BpmnError(CHECKSUM_MISMATCH, e.getMessage());
        }
    }
}
