package io.opsflow.platform.runbook;

import java.util.Map;
import java.util.Optional;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import java.util.function.Supplier;

import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.Environments;
import io.opsflow.platform.locks.RunbookLocks;

/**
 * Runs first, on every start of every runbook (REST, form, message, timer), inside the start's transaction:
 * validates the inputs, sets defaults, sets the environment's approval policy as variables, and takes the runbook's
 * named lock. Throwing here rolls the whole start back: no instance in runtime or history.
 */
public class RunbookStartListener implements ExecutionListener {
    private final Supplier<RunbookRegistry> registry;
    private final Supplier<Environments> environments;
    private final Supplier<RunbookLocks> locks;

    public RunbookStartListener(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                                Supplier<RunbookLocks> locks) {
        this.registry = registry;
        this.environments = environments;
        this.locks = locks;
    }

    @Override
    public void notify(DelegateExecution execution) {
        if (execution.getParentId() != null && !execution.getId().equals(execution.getProcessInstanceId())) {
            return;
        }
        String key = ((ExecutionEntity) execution).getProcessDefinition().getKey();
        Optional<RunbookDefinition> def = registry.get().find(key);
        if (def.isEmpty()) {
            return;
        }
        Environments envs = environments.get();
        Map<String, Object> values = RunbookInputValidator.validate(def.get(), execution.getVariables(), envs);
        values.forEach(execution::setVariable);

        Object envName = execution.getVariable("environment");
        if (envName instanceof String name && envs.exists(name)) {
            Environment env = envs.get(name);
            execution.setVariable("requiresApproval", env.requiresApproval());
            execution.setVariable("approverGroup", env.approverGroup());
            execution.setVariable("approvalReminder", env.approvalReminder().toString());
            execution.setVariable("approvalDeadline", env.approvalDeadline().toString());
        }

        Optional<String> lock = def.get().lockName(execution.getVariables());
        if (lock.isPresent()) {
            locks.get().acquire(lock.get(), execution.getProcessInstanceId());
            execution.setVariable("runbookLock", lock.get());
        }
    }
}
