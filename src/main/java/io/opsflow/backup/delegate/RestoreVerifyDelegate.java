package io.opsflow.backup.delegate;

import java.util.List;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupEntry;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.RestoreVerification;
import io.opsflow.database.Vars;

/**
 * Compares what the restore produced (tables, row counts and the schema fingerprint, counted in the restored
 * database right after the restore) with what was recorded at backup time (VERIFY_FAILED if they differ).
 */
@Component("restoreVerify")
public class RestoreVerifyDelegate implements JavaDelegate {
    public static final String VERIFY_FAILED = "VERIFY_FAILED";
    private final RestoreSupport support;

    public RestoreVerifyDelegate(RestoreSupport support) {
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        BackupEntry b = support.backup(ex);
        RestoreOperations.Restored restored = new RestoreOperations.Restored(Vars.str(ex, "restoredInto"),
                Vars.counts(Vars.opt(ex, "restoredRowCounts")), Vars.opt(ex, "restoredVerifyValue"));
        List<String> diff = RestoreVerification.differences(b, restored);
        if (!diff.isEmpty()) {
            String reason = "restore of " + b.id() + " into " + restored.into() + " does not verify: "
                    + String.join("; ", diff);
            ex.setVariable("failureReason", reason);
            throw new BpmnError(VERIFY_FAILED, reason);
        }
        ex.setVariable("restoreVerified", true);
    }
}
