package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/**
 * Marks the point from which the database changes. Its compensation handler restores the pre-migration backup:
 * compensation runs only for completed activities, so the undo hangs on this step, not on the one that may fail.
 */
@Component("migrationBegin")
public class MigrationBeginDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        ex.setVariable("migrationStartedAt", Vars.now().toString());
    }
}
