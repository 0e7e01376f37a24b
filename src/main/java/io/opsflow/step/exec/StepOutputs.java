package io.opsflow.step.exec;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.VariableScope;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;

/**
 * Where a library step ({@code httpHealthCheck}, {@code terraform*}, {@code ansiblePlaybook}) writes its outputs:
 * never to shared process-level names, so parallel branches and multi-instance fan-outs of a step never write one
 * variable at once (issue 13).
 * <ul>
 * <li>{@link #of}: the outputs are LOCAL to the execution running the task. That is the task's own scope when it is a
 * scope (it has input/output mappings or a boundary event): the diagram maps what later steps read with
 * {@code camunda:outputParameter}, e.g. {@code <camunda:outputParameter name="appHealthy">${healthy}
 * </camunda:outputParameter>}. Otherwise it is the execution the task runs on: the process instance in a plain
 * sequence (later steps read the outputs as before), the branch in a parallel split, the instance in a
 * multi-instance.</li>
 * <li>{@link #forError}: the outputs that explain a modelled failure, set just before the {@code BpmnError}: the
 * task's own scope ends with the error (a task with an error boundary event is a scope), so they go to the execution
 * the error path continues on (the parent of the task's own scope; the process instance in a sequence, the branch in a
 * parallel split) where the handler after the boundary event reads them, mapped or not. The task's output mappings
 * still run when the boundary event interrupts it and read them there.</li>
 * </ul>
 */
public final class StepOutputs {
    private final VariableScope target;

    private StepOutputs(VariableScope target) {
        this.target = target;
    }

    /** Outputs of a step that completes: local to the task's scope or the execution running it. */
    public static StepOutputs of(DelegateExecution execution) {
        return new StepOutputs(execution);
    }

    /** Outputs of a step about to throw a {@code BpmnError}: where the error path continues. */
    public static StepOutputs forError(DelegateExecution execution) {
        // the task's own scope execution: its activity is the task and a scope
        if (execution instanceof ExecutionEntity e && e.isScope() && e.getParent() != null && e.getActivity() != null
                && e.getActivity().isScope()) {
            return new StepOutputs(e.getParent());
        }
        return new StepOutputs(execution);
    }

    public StepOutputs set(String name, Object value) {
        target.setVariableLocal(name, value);
        return this;
    }
}
