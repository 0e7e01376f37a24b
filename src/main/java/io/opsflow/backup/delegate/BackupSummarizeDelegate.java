package io.opsflow.backup.delegate;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/**
 * Outcome of an all-targets run from its children: FAILED if any target failed, SKIPPED if every target was skipped
 * (another run was backing them up), else SUCCEEDED (skipped targets, if any, are named in {@code skipReason}).
 */
@Component("backupSummarize")
public class BackupSummarizeDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        List<Map<String, Object>> results = Vars.mapList((String) ex.getVariable("targetResults"));
        List<Map<String, Object>> failed = with(results, "FAILED");
        List<Map<String, Object>> skipped = with(results, "SKIPPED");
        List<Object> ids = results.stream().filter(r -> "SUCCEEDED".equals(r.get("outcome")))
                .map(r -> r.get("backupId")).toList();
        ex.setVariable("backupIds", Vars.json(ids));
        if (!skipped.isEmpty()) {
            ex.setVariable("skipReason", reasons(skipped));
        }
        String outcome;
        if (!failed.isEmpty()) {
            ex.setVariable("failureReason", reasons(failed));
            outcome = "FAILED";
        } else if (!results.isEmpty() && skipped.size() == results.size()) {
            outcome = "SKIPPED";
        } else {
            outcome = "SUCCEEDED";
        }
        ex.setVariable("outcome", outcome);
    }

    private static List<Map<String, Object>> with(List<Map<String, Object>> results, String outcome) {
        return results.stream().filter(r -> outcome.equals(r.get("outcome"))).toList();
    }

    private static String reasons(List<Map<String, Object>> rs) {
        return rs.stream().map(r -> r.get("target") + ": " + r.get("reason")).collect(Collectors.joining("; "));
    }
}
