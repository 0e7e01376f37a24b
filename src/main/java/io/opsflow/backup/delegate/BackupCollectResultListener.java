package io.opsflow.backup.delegate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/**
 * End listener of the per-target call activity: appends the child run's result (mapped to local variables by
 * {@code camunda:out local="true"}) to the JSON list {@code targetResults} of the all-targets run.
 */
@Component("backupCollectResult")
public class BackupCollectResultListener implements ExecutionListener {
    @Override
    public void notify(DelegateExecution ex) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("target", ex.getVariable("eachTarget"));
        r.put("outcome", ex.getVariableLocal("targetOutcome"));
        r.put("backupId", ex.getVariableLocal("targetBackupId"));
        Object reason = ex.getVariableLocal("targetSkipReason") != null ? ex.getVariableLocal("targetSkipReason")
                : ex.getVariableLocal("targetFailureReason");
        r.put("reason", reason);
        List<Map<String, Object>> all = Vars.mapList((String) ex.getVariable("targetResults"));
        all.add(r);
        ex.getProcessInstance().setVariable("targetResults", Vars.json(all));
    }
}
