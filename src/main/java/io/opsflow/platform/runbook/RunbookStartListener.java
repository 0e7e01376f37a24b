package io.opsflow.platform.runbook;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import java.util.function.Supplier;

import io.opsflow.platform.approval.ApprovalRecords;
import io.opsflow.platform.approval.Approvals;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.locks.RunbookLocks;
import io.opsflow.platform.tools.Tools;

/**
 * Runs first, on every start of every runbook (REST, form, message, timer, restart, start instructions), inside the
 * start's transaction: refuses a non-administrator's start placed past the start event (403), refuses undeclared
 * variables (400 naming them: approvals, plans, evidence and {@code initiator} are never inputs), validates the
 * inputs, sets defaults, sets {@code initiator} from the authenticated user (or a named system principal), records
 * the run (initiator, whether it needs an approval) in opsflow's own table, sets the environment's approval policy
 * as variables, refuses a runbook whose tools are not installed on this host (409), and takes the runbook's named
 * lock. Throwing here rolls the whole start back: no instance in runtime
 * or history.
 */
public class RunbookStartListener implements ExecutionListener {
    private final Supplier<RunbookRegistry> registry;
    private final Supplier<Environments> environments;
    private final Supplier<RunbookLocks> locks;
    private final Supplier<Approvals> approvals;
    private final Supplier<Tools> tools;

    public RunbookStartListener(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                                Supplier<RunbookLocks> locks, Supplier<Approvals> approvals, Supplier<Tools> tools) {
        this.registry = registry;
        this.environments = environments;
        this.locks = locks;
        this.approvals = approvals;
        this.tools = tools;
    }

    @Override
    public void notify(DelegateExecution execution) {
        if (execution.getParentId() != null && !execution.getId().equals(execution.getProcessInstanceId())) {
            return;
        }
        ExecutionEntity instance = (ExecutionEntity) execution;
        Approvals rules = approvals.get();
        rules.checkStartPlacement(instance);
        Approvals.Principal principal = rules.principal(instance);
        String key = instance.getProcessDefinition().getKey();
        Optional<RunbookDefinition> def = registry.get().find(key);
        Environments envs = environments.get();
        if (def.isPresent()) {
            List<String> undeclared = Approvals.undeclared(def.get(), execution.getVariables(), principal.id());
            if (!undeclared.isEmpty()) {
                throw new RunbookInputException(key, undeclared);
            }
            Map<String, Object> values = RunbookInputValidator.validate(def.get(), execution.getVariables(), envs,
                    instance.getActivity() == null ? null : instance.getActivity().getId());
            Tools host = tools.get();
            if (host != null) {
                host.require(key, def.get().tools()); // valid input, missing tool: 409 naming it and its install line
            }
            values.forEach(execution::setVariable);
        }
        execution.setVariable(Approvals.INITIATOR, principal.id());
        Object environment = execution.getVariable("environment");
        rules.records().insertRun(new ApprovalRecords.Run(execution.getProcessInstanceId(), key, principal.id(),
                principal.via(), rules.requiresApproval(instance.getProcessDefinition(), execution.getVariables()),
                environment instanceof String e ? e : null, Instant.now()));
        if (def.isEmpty()) {
            return;
        }

        Object envName = execution.getVariable("environment");
        if (envName instanceof String name && envs.exists(name)) {
            Environment env = envs.get(name);
            // the runbook's rule (RunbookDefinition.requiresApproval), the one the run record holds and the diagram
            // routes on: no second copy of it in a gateway condition
            execution.setVariable("requiresApproval", def.get().requiresApproval(execution.getVariables(), env));
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
