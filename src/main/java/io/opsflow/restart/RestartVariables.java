package io.opsflow.restart;

import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunVariables;

/** Typed access to the restart-platform variables, on {@link RunVariables}. */
final class RestartVariables {
    private RestartVariables() {
    }

    /** The host names of the current batch (the batch multi-instance's element). */
    static List<String> batch(DelegateExecution execution) {
        if (execution.getVariable("batch") == null) {
            throw new IllegalStateException("variable 'batch' (list of host names) is missing in "
                    + execution.getCurrentActivityId());
        }
        return RunVariables.of(execution).strings("batch");
    }

    /** "batch 2/3" inside the batch multi-instance, "all hosts" outside it. */
    static String batchLabel(DelegateExecution execution) {
        Object counter = execution.getVariable("loopCounter");
        Object count = execution.getVariable("batchCount");
        if (counter instanceof Number c && count instanceof Number n && !"emergency".equals(execution.getVariable("mode"))) {
            return "batch " + (c.intValue() + 1) + "/" + n.intValue();
        }
        return "all hosts";
    }
}
