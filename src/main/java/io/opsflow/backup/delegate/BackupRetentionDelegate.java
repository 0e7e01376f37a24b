package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.backup.BackupRetention;
import io.opsflow.backup.RetentionPolicy;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.Vars;

/** Applies retention to the target just backed up: expired copies and their catalog rows go together. */
@Component("backupRetention")
public class BackupRetentionDelegate implements JavaDelegate {
    private final BackupRetention retention;
    private final BackupProperties props;

    public BackupRetentionDelegate(BackupRetention retention, BackupProperties props) {
        this.retention = retention;
        this.props = props;
    }

    @Override
    public void execute(DelegateExecution ex) {
        String env = Vars.str(ex, "environment");
        BackupRetention.Result r = retention.apply(env, Vars.str(ex, "target"),
                RetentionPolicy.of(props.retention(env)), Vars.now(), props.getOrphanGrace());
        ex.setVariable("retentionDeleted", Vars.json(r.deleted()));
        ex.setVariable("retentionKept", r.kept().size());
        ex.setVariable("orphansDeleted", Vars.json(r.orphansDeleted()));
    }
}
