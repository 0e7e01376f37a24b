package io.opsflow.backup.delegate;

import java.time.Duration;
import java.time.Instant;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.backup.RestoreRunbook;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.Vars;

/**
 * Looks the backup up in the catalog (resolving "latest"), keeps it with the run, and computes the RPO: the age of
 * the backup's data at the incident, or at the start of this restore when no incident time was given.
 */
@Component("restoreResolve")
public class RestoreResolveDelegate implements JavaDelegate {
    private final RestoreRunbook runbook;

    public RestoreResolveDelegate(RestoreRunbook runbook) {
        this.runbook = runbook;
    }

    @Override
    public void execute(DelegateExecution ex) {
        String env = Vars.str(ex, "environment");
        String requested = Vars.str(ex, "backupId");
        BackupEntry b = runbook.resolve(env, requested, Vars.opt(ex, "target"))
                .orElseThrow(() -> new IllegalStateException("backup " + requested + " of " + env
                        + " is no longer in the catalog (deleted by retention?); start the restore with another "
                        + "backup"));
        Instant now = Vars.now();
        String incident = Vars.opt(ex, "incidentAt");
        Instant reference = incident != null ? Instant.parse(incident) : now;
        long rpo = Math.max(0, Duration.between(b.startedAt(), reference).toSeconds());
        ex.setVariable("backupId", b.id());
        ex.setVariable("target", b.target());
        ex.setVariable("backupEntry", Vars.entryJson(b));
        ex.setVariable("restoreStartedAt", now.toString());
        ex.setVariable("rpoSeconds", rpo);
        ex.setVariable("drill", "scratch".equals(ex.getVariable("targetKind")));
        ex.setVariable("restoreEvidence", String.join("\n",
                "backup:    " + b.id(),
                "target:    " + b.target() + " (" + b.kind() + ", " + b.source() + ")",
                "taken at:  " + b.startedAt() + " (data age " + Duration.ofSeconds(rpo) + " at "
                        + (incident != null ? "the incident" : "this restore") + ")",
                "size:      " + b.sizeBytes() + " bytes, sha256 " + b.sha256(),
                "offsite:   " + b.location(),
                "row counts at backup: " + b.rowCounts(),
                "restore into: " + ex.getVariable("targetKind")));
    }
}
