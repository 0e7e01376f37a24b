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
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.task.TaskDefinition;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.opsflow.platform.approval.FourEyesGuard;
import io.opsflow.platform.environments.Environments;
import io.opsflow.platform.locks.RunbookLocks;
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
    private final FourEyesGuard fourEyes = new FourEyesGuard();
    private final ExecutionListener leaseListener;

    @org.springframework.beans.factory.annotation.Autowired
    public OpsflowEnginePlugin(ObjectProvider<RunbookRegistry> registry, ObjectProvider<Environments> environments,
                               ObjectProvider<RunbookLocks> locks, ObjectProvider<JobLease> leases) {
        this(registry::getObject, environments::getObject, locks::getObject, leases::getIfAvailable);
    }

    /** For engines built outside Spring (process tests). */
    public OpsflowEnginePlugin(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                               Supplier<RunbookLocks> locks, Supplier<JobLease> leases) {
        this.startListener = new RunbookStartListener(registry, environments, locks);
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
        Element ext = element.element("extensionElements");
        Element props = ext == null ? null : ext.elementNS(BpmnParse.CAMUNDA_BPMN_EXTENSIONS_NS, "properties");
        if (props == null) {
            return false;
        }
        return props.elementsNS(BpmnParse.CAMUNDA_BPMN_EXTENSIONS_NS, "property").stream()
                .anyMatch(p -> "opsflow.lease".equals(p.attribute("name")) && "false".equals(p.attribute("value")));
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
                if (!leaseDisabled(element)) {
                    activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, leaseListener);
                }
            }

            @Override
            public void parseSendTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                if (!leaseDisabled(element)) {
                    activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, leaseListener);
                }
            }

            @Override
            public void parseScriptTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                if (!leaseDisabled(element)) {
                    activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, leaseListener);
                }
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
