package io.opsflow.platform.notify;

import java.util.ArrayList;
import java.util.Map;

import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.delegate.TaskListener;
import org.camunda.bpm.engine.impl.bpmn.behavior.UserTaskActivityBehavior;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.incident.IncidentContext;
import org.camunda.bpm.engine.impl.incident.IncidentHandler;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.task.TaskDefinition;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.camunda.bpm.engine.runtime.Incident;

/**
 * Attaches {@link RunNotifications} to every deployed runbook at parse time, as built-in listeners: creation and
 * completion of {@code Task_Approve} (approval needed, approval rejected), the end of every process (outcome
 * SUCCEEDED / ROLLED_BACK / FAILED); and wraps the engine's incident handlers (incident raised). The reminder and
 * the deadline come from the approval block's beans ({@code platform.approval.ApprovalBlock}).
 */
public class NotificationsEnginePlugin extends AbstractProcessEnginePlugin {
    private final RunNotifications notifications;

    public NotificationsEnginePlugin(RunNotifications notifications) {
        this.notifications = notifications;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        if (configuration.getCustomPostBPMNParseListeners() == null) {
            configuration.setCustomPostBPMNParseListeners(new ArrayList<>());
        }
        ExecutionListener ended = notifications::ended;
        TaskListener created = notifications::approvalNeeded;
        TaskListener completed = notifications::approvalDecided;
        configuration.getCustomPostBPMNParseListeners().add(new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
                processDefinition.addBuiltInListener(ExecutionListener.EVENTNAME_END, ended);
            }

            @Override
            public void parseUserTask(Element userTaskElement, ScopeImpl scope, ActivityImpl activity) {
                if (RunNotifications.APPROVAL_TASK_ID.equals(activity.getId())) {
                    TaskDefinition td = ((UserTaskActivityBehavior) activity.getActivityBehavior())
                            .getTaskDefinition();
                    td.addBuiltInTaskListener(TaskListener.EVENTNAME_CREATE, created);
                    td.addBuiltInTaskListener(TaskListener.EVENTNAME_COMPLETE, completed);
                }
            }
        });
    }

    @Override
    public void postInit(ProcessEngineConfigurationImpl configuration) {
        // the handlers are in place now (defaults and custom ones): wrap each, whoever made it
        Map<String, IncidentHandler> handlers = configuration.getIncidentHandlers();
        handlers.replaceAll((type, handler) -> new Notifying(handler));
    }

    /** An incident handler that, once the incident exists, tells {@link RunNotifications}. */
    final class Notifying implements IncidentHandler {
        private final IncidentHandler delegate;

        Notifying(IncidentHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public String getIncidentHandlerType() {
            return delegate.getIncidentHandlerType();
        }

        @Override
        public Incident handleIncident(IncidentContext context, String message) {
            Incident incident = delegate.handleIncident(context, message);
            if (incident != null && context.getExecutionId() != null && Context.getCommandContext() != null) {
                ExecutionEntity execution = Context.getCommandContext().getExecutionManager()
                        .findExecutionById(context.getExecutionId());
                notifications.incident(execution, context.getActivityId(), message);
            }
            return incident;
        }

        @Override
        public void resolveIncident(IncidentContext context) {
            delegate.resolveIncident(context);
        }

        @Override
        public void deleteIncident(IncidentContext context) {
            delegate.deleteIncident(context);
        }
    }
}
