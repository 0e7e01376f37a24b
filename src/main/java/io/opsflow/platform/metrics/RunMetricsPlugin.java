package io.opsflow.platform.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.history.event.HistoricActivityInstanceEventEntity;
import org.camunda.bpm.engine.impl.history.event.HistoricProcessInstanceEventEntity;
import org.camunda.bpm.engine.impl.history.event.HistoricScopeInstanceEvent;
import org.camunda.bpm.engine.impl.history.event.HistoricTaskInstanceEventEntity;
import org.camunda.bpm.engine.impl.history.event.HistoryEvent;
import org.camunda.bpm.engine.impl.history.event.HistoryEventTypes;
import org.camunda.bpm.engine.impl.history.handler.HistoryEventHandler;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.opsflow.platform.approval.FourEyesGuard;

/**
 * Feeds {@link RunMetrics} from the engine without any diagram edit:
 * <ul>
 * <li>runs started and ended (with {@code environment} and the {@code outcome} variable): built-in start and end
 * listeners on every process definition, added by a parse listener (built-in listeners run also when a cancellation
 * skips custom ones);</li>
 * <li>run, step and approval-wait durations: a history event handler next to the engine's database one (process
 * instance end, activity instance end, approval task complete or delete carry start, end and duration).</li>
 * </ul>
 * Every meter is recorded only once the engine's transaction committed: a step whose job fails and rolls back is not
 * a step that ended, and a start refused by validation is not a run.
 */
@Component
public class RunMetricsPlugin extends AbstractProcessEnginePlugin {
    private static final Logger LOG = LoggerFactory.getLogger(RunMetricsPlugin.class);
    /** Activity types that are steps: the automated work of a runbook (waits and gateways are not). */
    static final Set<String> STEP_TYPES = Set.of("serviceTask", "scriptTask", "sendTask", "businessRuleTask",
            "callActivity", "task");

    private final Supplier<RunMetrics> metrics;

    @org.springframework.beans.factory.annotation.Autowired
    public RunMetricsPlugin(ObjectProvider<RunMetrics> metrics) {
        this(metrics::getObject);
    }

    public RunMetricsPlugin(Supplier<RunMetrics> metrics) {
        this.metrics = metrics;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        List<BpmnParseListener> parse = configuration.getCustomPreBPMNParseListeners();
        if (parse == null) {
            parse = new ArrayList<>();
            configuration.setCustomPreBPMNParseListeners(parse);
        }
        parse.add(new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity definition) {
                String runbook = definition.getKey();
                definition.addBuiltInListener(ExecutionListener.EVENTNAME_START, (ExecutionListener) execution -> {
                    if (isProcessInstance(execution)) {
                        Object environment = execution.getVariable("environment");
                        afterCommit(() -> metrics.get().runStarted(runbook, environment));
                    }
                });
                definition.addBuiltInListener(ExecutionListener.EVENTNAME_END, (ExecutionListener) execution -> {
                    if (isProcessInstance(execution)) {
                        Object environment = execution.getVariable("environment");
                        Object outcome = execution.getVariable("outcome");
                        boolean canceled = execution.isCanceled();
                        afterCommit(() -> metrics.get().runEnded(runbook, environment, outcome, canceled));
                    }
                });
            }
        });
        List<HistoryEventHandler> history = configuration.getCustomHistoryEventHandlers();
        if (history == null) {
            history = new ArrayList<>();
            configuration.setCustomHistoryEventHandlers(history);
        }
        history.add(new Durations());
    }

    private static boolean isProcessInstance(DelegateExecution execution) {
        return execution.getId().equals(execution.getProcessInstanceId());
    }

    /** Runs {@code record} once the current engine transaction committed (at once outside of one). */
    static void afterCommit(Runnable record) {
        Runnable safe = () -> {
            try {
                record.run();
            } catch (RuntimeException e) {
                LOG.warn("metric not recorded: {}", e.toString());
            }
        };
        CommandContext context = Context.getCommandContext();
        if (context == null) {
            safe.run();
            return;
        }
        context.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, c -> safe.run());
    }

    /**
     * Durations from the engine's history events. An end event of something that started in an earlier transaction
     * gets its start time from the engine's database handler, which runs after this one: the duration is read once
     * the transaction committed.
     */
    final class Durations implements HistoryEventHandler {
        @Override
        public void handleEvent(HistoryEvent event) {
            if (event instanceof HistoricProcessInstanceEventEntity p
                    && p.isEventOfType(HistoryEventTypes.PROCESS_INSTANCE_END)) {
                afterCommit(() -> whenKnown(p, millis -> metrics.get().runDuration(p.getProcessDefinitionKey(),
                        millis)));
            } else if (event instanceof HistoricActivityInstanceEventEntity a
                    && a.isEventOfType(HistoryEventTypes.ACTIVITY_INSTANCE_END)
                    && STEP_TYPES.contains(a.getActivityType())) {
                afterCommit(() -> whenKnown(a, millis -> metrics.get().stepDuration(a.getProcessDefinitionKey(),
                        a.getActivityId(), millis)));
            } else if (event instanceof HistoricTaskInstanceEventEntity t
                    && (t.isEventOfType(HistoryEventTypes.TASK_INSTANCE_COMPLETE)
                    || t.isEventOfType(HistoryEventTypes.TASK_INSTANCE_DELETE))
                    && FourEyesGuard.APPROVAL_TASK_ID.equals(t.getTaskDefinitionKey())) {
                afterCommit(() -> whenKnown(t, millis -> metrics.get().approvalWait(t.getProcessDefinitionKey(),
                        millis)));
            }
        }

        private static void whenKnown(HistoricScopeInstanceEvent event, java.util.function.LongConsumer record) {
            Long millis = event.getDurationInMillis();
            if (millis != null) {
                record.accept(millis);
            }
        }

        @Override
        public void handleEvents(List<HistoryEvent> events) {
            events.forEach(this::handleEvent);
        }
    }
}
