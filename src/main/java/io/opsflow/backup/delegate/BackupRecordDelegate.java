package io.opsflow.backup.delegate;

import java.time.Instant;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.Vars;

/** Writes the catalog row of the verified offsite copy (one INSERT; a retried step finds its row and does nothing). */
@Component("backupRecord")
public class BackupRecordDelegate implements JavaDelegate {
    private final BackupCatalog catalog;
    private final BackupTargets targets;
    private final OffsiteStore store;

    public BackupRecordDelegate(BackupCatalog catalog, BackupTargets targets, OffsiteStore store) {
        this.catalog = catalog;
        this.targets = targets;
        this.store = store;
    }

    @Override
    public void execute(DelegateExecution ex) {
        String id = Vars.str(ex, "backupId");
        if (catalog.find(id).isEmpty()) {
            var t = targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target"));
            String key = Vars.str(ex, "objectKey");
            catalog.insert(new BackupEntry(id, t.environment(), t.name(), t.kind(), t.source(), store.location(key),
                    key, ((Number) ex.getVariable("offsiteSize")).longValue(), Vars.str(ex, "dumpSha256"),
                    Instant.parse(Vars.str(ex, "dumpStartedAt")), Instant.parse(Vars.str(ex, "dumpFinishedAt")),
                    Vars.bool(ex, "offsiteVerified"), Vars.opt(ex, "purpose"), Vars.counts(Vars.opt(ex, "rowCounts")),
                    Vars.opt(ex, "dumpVerifyValue"), ex.getProcessInstanceId(), null));
        }
        ex.setVariable("backupLocation", store.location(Vars.str(ex, "objectKey")));
    }
}
