package io.opsflow.restart;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;

final class RestartVariables {
    private RestartVariables() {
    }

    @SuppressWarnings("unchecked")
    static List<String> batch(DelegateExecution execution) {
        Object v = execution.getVariable("batch");
        if (!(v instanceof List<?> l)) {
            throw new IllegalStateException("variable 'batch' (list of host names) is missing in "
                    + execution.getCurrentActivityId());
        }
        return new ArrayList<>((List<String>) l);
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
