package io.opsflow.migrate.delegate;

import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.RestoreVerification;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * The steps of the migration's compensation (SubProcess_Rollback): restore the pre-migration backup over the
 * database with its writers stopped, verify, start the writers. There is nothing left to fall back to, so every
 * failure here is technical: an incident on the step, with a message saying what is wrong (a damaged backup, a
 * restore that does not verify: then the writers stay stopped for an operator).
 */
public final class MigrationRollback {
    private MigrationRollback() {
    }

    /** Shared lookups of the rollback steps. */
    @Component
    public static class Support {
        private final RestoreOperations ops;
        private final BackupTargets targets;
        private final BackupCatalog catalog;
        private final StepLogs logs;

        public Support(RestoreOperations ops, BackupTargets targets, BackupCatalog catalog, StepLogs logs) {
            this.ops = ops;
            this.targets = targets;
            this.catalog = catalog;
            this.logs = logs;
        }

        BackupEntry backup(DelegateExecution ex) {
            String id = Vars.str(ex, "preMigrationBackupId");
            return catalog.find(id).orElseThrow(() -> new IllegalStateException("pre-migration backup " + id
                    + " is not in the catalog any more; restore the database by hand from the offsite store"));
        }

        BackupTarget db(DelegateExecution ex) {
            return targets.get(Vars.str(ex, "environment"), Vars.str(ex, "migrationDatabase"));
        }
    }

    @Component("migrationRollbackStage")
    public static class Stage extends RunbookStep {
        private final Support s;

        public Stage(Support s) {
            super(s.logs);
            this.s = s;
        }

        @Override
        protected void run(DelegateExecution ex, StepLog log) {
            // a ChecksumMismatchException propagates: the pre-migration backup is damaged, an operator decides
            ex.setVariable("rollbackStagedPath", s.ops.stageOnHost(s.db(ex), s.backup(ex), log));
        }
    }

    @Component("migrationRollbackStopWriters")
    public static class StopWriters extends RunbookStep {
        private final Support s;

        public StopWriters(Support s) {
            super(s.logs);
            this.s = s;
        }

        @Override
        protected void run(DelegateExecution ex, StepLog log) {
            ex.setVariable("rollbackStoppedWriters", Vars.json(s.ops.stopWriters(s.db(ex), log)));
        }
    }

    @Component("migrationRollbackRestore")
    public static class Restore extends RunbookStep {
        private final Support s;

        public Restore(Support s) {
            super(s.logs);
            this.s = s;
        }

        @Override
        protected void run(DelegateExecution ex, StepLog log) {
            RestoreOperations.Restored r = s.ops.restore(s.db(ex), s.backup(ex),
                    Vars.str(ex, "rollbackStagedPath"), false, log);
            ex.setVariable("rollbackRestoredInto", r.into());
            ex.setVariable("restoredRowCounts", Vars.countsJson(r.rowCounts()));
            ex.setVariable("restoredVerifyValue", r.verifyValue());
        }
    }

    @Component("migrationRollbackVerify")
    public static class Verify extends RunbookStep {
        private final Support s;

        public Verify(Support s) {
            super(s.logs);
            this.s = s;
        }

        @Override
        protected void run(DelegateExecution ex, StepLog log) {
            BackupEntry b = s.backup(ex);
            String into = Vars.str(ex, "rollbackRestoredInto");
            Map<String, Long> counts = Vars.counts(Vars.opt(ex, "restoredRowCounts"));
            List<String> diff = RestoreVerification.differences(b, new RestoreOperations.Restored(into, counts,
                    Vars.opt(ex, "restoredVerifyValue")));
            if (!diff.isEmpty()) {
                throw new IllegalStateException("restoring pre-migration backup " + b.id() + " into " + into
                        + " does not verify: " + String.join("; ", diff) + "; the writers stay stopped ("
                        + ex.getVariable("rollbackStoppedWriters") + ")");
            }
            ex.setVariable("rollbackVerified", true);
            ex.setVariable("rolledBackTo", b.id());
        }
    }

    @Component("migrationRollbackStartWriters")
    public static class StartWriters extends RunbookStep {
        private final Support s;

        public StartWriters(Support s) {
            super(s.logs);
            this.s = s;
        }

        @Override
        protected void run(DelegateExecution ex, StepLog log) {
            BackupTarget db = s.db(ex);
            s.ops.startWriters(db, Vars.stringList(Vars.opt(ex, "rollbackStoppedWriters")), log);
            String staged = Vars.opt(ex, "rollbackStagedPath");
            if (staged != null) {
                s.ops.removeFromHost(db, staged, log);
            }
        }
    }
}
