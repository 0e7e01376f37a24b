package io.opsflow.platform.runbook;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.delegate.TaskListener;
import org.camunda.bpm.engine.impl.bpmn.behavior.UserTaskActivityBehavior;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParse;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.jobexecutor.FailedJobCommandFactory;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.task.TaskDefinition;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.opsflow.platform.approval.ActionGuard;
import io.opsflow.platform.approval.ApprovalCommandChecker;
import io.opsflow.platform.approval.ApprovalRecords;
import io.opsflow.platform.approval.Approvals;
import io.opsflow.platform.approval.FourEyesGuard;
import io.opsflow.platform.approval.RefusalsFailAtOnce;
import io.opsflow.environments.Environments;
import io.opsflow.platform.locks.RunbookLocks;
import io.opsflow.platform.tools.Tools;
import io.opsflow.step.lease.JobLease;

/**
 * Hooks the platform into every deployed runbook at parse time, as built-in listeners (which the engine runs even
 * when a cancellation skips custom listeners): input validation and locks at process start, lock release at process
 * end, the four-eyes guard on approval tasks.
 */
@Component
public class OpsflowEnginePlugin extends AbstractProcessEnginePlugin {
    private final RunbookStartListener startListener;
    private final RunbookEndListener endListener;
    private final FourEyesGuard fourEyes;
    private final ActionGuard actionGuard;
    private final Supplier<Approvals> approvals;
    private final ExecutionListener leaseListener;

    @org.springframework.beans.factory.annotation.Autowired
    public OpsflowEnginePlugin(ObjectProvider<RunbookRegistry> registry, ObjectProvider<Environments> environments,
                               ObjectProvider<RunbookLocks> locks, ObjectProvider<JobLease> leases,
                               ObjectProvider<ApprovalRecords> records, ObjectProvider<Tools> tools) {
        this(registry::getObject, environments::getObject, locks::getObject, leases::getIfAvailable,
                records::getObject, tools::getIfAvailable);
    }

    /** For engines built outside Spring (process tests): no check of the host's tools (the steps are mocked). */
    public OpsflowEnginePlugin(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                               Supplier<RunbookLocks> locks, Supplier<JobLease> leases,
                               Supplier<ApprovalRecords> records) {
        this(registry, environments, locks, leases, records, () -> null);
    }

    public OpsflowEnginePlugin(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                               Supplier<RunbookLocks> locks, Supplier<JobLease> leases,
                               Supplier<ApprovalRecords> records, Supplier<Tools> tools) {
        Approvals[] rules = new Approvals[1];
        this.approvals = () -> {
            if (rules[0] == null) {
                rules[0] = new Approvals(registry, environments, records);
            }
            return rules[0];
        };
        this.fourEyes = new FourEyesGuard(approvals);
        this.actionGuard = new ActionGuard(approvals);
        this.startListener = new RunbookStartListener(registry, environments, locks, approvals, tools);
        this.endListener = new RunbookEndListener(locks);
        this.leaseListener = execution -> {
            JobLease lease = leases.get();
            if (lease != null) {
                lease.holdUntilTransactionEnds();
            }
        };
    }

    /** {@code <camunda:property name="opsflow.lease" value="false"/>} opts a task out of the job lease. */
    static boolean leaseDisabled(Element element) {
        return hasProperty(element, "opsflow.lease", "false");
    }

    /**
     * {@code <camunda:property name="opsflow.approval" value="not-required"/>}: the task runs before or without the
     * approval (evidence, reminders, clean-up of a rejected run); every other task meets the {@link ActionGuard}.
     */
    static boolean approvalNotRequired(Element element) {
        return hasProperty(element, Approvals.PROPERTY, Approvals.NOT_REQUIRED);
    }

    private static boolean hasProperty(Element element, String name, String value) {
        Element ext = element.element("extensionElements");
        Element props = ext == null ? null : ext.elementNS(BpmnParse.CAMUNDA_BPMN_EXTENSIONS_NS, "properties");
        if (props == null) {
            return false;
        }
        return props.elementsNS(BpmnParse.CAMUNDA_BPMN_EXTENSIONS_NS, "property").stream()
                .anyMatch(p -> name.equals(p.attribute("name")) && value.equals(p.attribute("value")));
    }

    private void acting(Element element, ActivityImpl activity) {
        if (!approvalNotRequired(element)) {
            activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, actionGuard);
        }
        if (!leaseDisabled(element)) {
            activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, leaseListener);
        }
    }

    @Override
    public void postInit(ProcessEngineConfigurationImpl configuration) {
        // the approval rules on task work, task variables and modifications, on every API
        configuration.getCommandCheckers().add(ApprovalCommandChecker.create(approvals));
        // a refused action is not retried: it fails at once with an incident that says why
        FailedJobCommandFactory retries = configuration.getFailedJobCommandFactory();
        configuration.setFailedJobCommandFactory(new RefusalsFailAtOnce(retries));
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        List<BpmnParseListener> listeners = configuration.getCustomPreBPMNParseListeners();
        if (listeners == null) {
            listeners = new ArrayList<>();
            configuration.setCustomPreBPMNParseListeners(listeners);
        }
        listeners.add(new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
                processDefinition.addBuiltInListener(ExecutionListener.EVENTNAME_START, startListener);
                processDefinition.addBuiltInListener(ExecutionListener.EVENTNAME_END, endListener);
            }

            @Override
            public void parseServiceTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                acting(element, activity);
            }

            @Override
            public void parseSendTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                acting(element, activity);
            }

            @Override
            public void parseScriptTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                acting(element, activity);
            }

            @Override
            public void parseUserTask(Element userTaskElement, ScopeImpl scope, ActivityImpl activity) {
                if (!FourEyesGuard.APPROVAL_TASK_ID.equals(activity.getId())) {
                    return;
                }
                TaskDefinition td = ((UserTaskActivityBehavior) activity.getActivityBehavior()).getTaskDefinition();
                td.addBuiltInTaskListener(TaskListener.EVENTNAME_CREATE, fourEyes);
                td.addBuiltInTaskListener(TaskListener.EVENTNAME_ASSIGNMENT, fourEyes);
                td.addBuiltInTaskListener(TaskListener.EVENTNAME_COMPLETE, fourEyes);
            }
        });
    }
}
