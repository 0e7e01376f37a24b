package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreRecord;

/** Records the successful restore or drill with its RTO (start of the run to verified/healthy) and RPO. */
@Component("restoreRecord")
public class RestoreRecordDelegate implements JavaDelegate {
    private final RestoreSupport support;

    public RestoreRecordDelegate(RestoreSupport support) {
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        RestoreRecord r = support.record(ex, "SUCCEEDED", (support.scratch(ex) ? "drill: restored into "
                + ex.getVariable("restoredInto") + ", verified, dropped" : "restored over the original, verified, "
                + "writers healthy"));
        ex.setVariable("rtoSeconds", r.rtoSeconds());
    }
}
