package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.OffsiteStore;
import io.opsflow.database.Vars;

/** Reads the offsite copy back and checks its SHA-256; a copy that does not match is a failed backup (COPY_CORRUPT). */
@Component("backupVerifyOffsite")
public class BackupVerifyOffsiteDelegate implements JavaDelegate {
    public static final String COPY_CORRUPT = "COPY_CORRUPT";
    private final OffsiteStore store;

    public BackupVerifyOffsiteDelegate(OffsiteStore store) {
        this.store = store;
    }

    @Override
    public void execute(DelegateExecution ex) {
        String key = Vars.str(ex, "objectKey");
        String expected = Vars.str(ex, "dumpSha256");
        String actual;
        try {
            actual = store.sha256(key);
        } catch (OffsiteStore.NoSuchObjectException e) {
            actual = "(missing)";
        }
        if (!expected.equals(actual)) {
            String reason = "offsite copy " + store.location(key) + " does not verify: SHA-256 " + actual
                    + ", expected " + expected;
            ex.setVariable("failureReason", reason);
            throw new BpmnError(COPY_CORRUPT, reason);
        }
        ex.setVariable("offsiteVerified", true);
    }
}
