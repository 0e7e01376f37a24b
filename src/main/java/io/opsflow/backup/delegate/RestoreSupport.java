package io.opsflow.backup.delegate;

import java.time.Duration;
import java.time.Instant;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.RestoreRecord;
import io.opsflow.database.Vars;

/** What the restore delegates share: the run's backup and target, and recording the run in the catalog. */
@Component
public class RestoreSupport {
    private final BackupTargets targets;
    private final BackupCatalog catalog;

    public RestoreSupport(BackupTargets targets, BackupCatalog catalog) {
        this.targets = targets;
        this.catalog = catalog;
    }

    public BackupCatalog catalog() {
        return catalog;
    }

    public BackupEntry backup(DelegateExecution ex) {
        return Vars.entry(Vars.str(ex, "backupEntry"));
    }

    public BackupTarget target(DelegateExecution ex) {
        return targets.get(Vars.str(ex, "environment"), backup(ex).target());
    }

    public boolean scratch(DelegateExecution ex) {
        return "scratch".equals(ex.getVariable("targetKind"));
    }

    /** Records the run (restore or drill) with its outcome; RTO only for a successful one. */
    public RestoreRecord record(DelegateExecution ex, String outcome, String detail) {
        BackupEntry b = backup(ex);
        Instant started = Instant.parse(Vars.str(ex, "restoreStartedAt"));
        Instant now = Vars.now();
        Long rto = "SUCCEEDED".equals(outcome) ? Math.max(0, Duration.between(started, now).toSeconds()) : null;
        Object rpo = ex.getVariable("rpoSeconds");
        RestoreRecord r = new RestoreRecord(ex.getProcessInstanceId(), b.id(), b.environment(), b.target(),
                (String) ex.getVariable("targetKind"), scratch(ex), started, now, outcome, rto,
                rpo instanceof Number n ? n.longValue() : null, detail, ex.getProcessInstanceId());
        catalog.recordRestore(r);
        if ("SUCCEEDED".equals(outcome)) {
            catalog.markRestored(b.id(), now);
        }
        return r;
    }
}
