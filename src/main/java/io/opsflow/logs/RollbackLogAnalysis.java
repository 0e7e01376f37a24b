package io.opsflow.logs;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.platform.runbook.RunbookInputValidator;

/**
 * A release that rolls back attaches a log analysis of its window: when a {@value #RELEASE} run ends with
 * {@code outcome=ROLLED_BACK}, an analyze-logs run starts for its environment and application, from one minute
 * before the release started until now, and the release run gets the variables {@code logAnalysisRun} and
 * {@code logReportHref} (the report's link; it is there once that run has finished).
 *
 * <p>Attached from here, at parse time, as an end listener of the {@value #RELEASE} process: the release code and
 * diagram know nothing of it and this package nothing of theirs but the process key and the variables
 * {@code environment}, {@code application}, {@code outcome}. The analysis is a new run in the same transaction (its
 * first step is asynchronous); its inputs are validated before it is started, and a release whose environment
 * cannot be analysed (no hosts, say) only logs why.
 * {@code opsflow.logs.after-rollback=false} turns it off.
 */
@Component
public class RollbackLogAnalysis extends AbstractProcessEnginePlugin {
    private static final Logger LOG = LoggerFactory.getLogger(RollbackLogAnalysis.class);
    static final String RELEASE = "release-version";
    static final Duration BEFORE = Duration.ofMinutes(1);

    private final boolean enabled;
    private final LogsProperties props;
    private final AnalyzeLogsRunbook runbook;
    private final ObjectProvider<Environments> environments;

    public RollbackLogAnalysis(@Value("${opsflow.logs.after-rollback:true}") boolean enabled, LogsProperties props,
                               AnalyzeLogsRunbook runbook, ObjectProvider<Environments> environments) {
        this.enabled = enabled;
        this.props = props;
        this.runbook = runbook;
        this.environments = environments;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        if (!enabled) {
            return;
        }
        if (configuration.getCustomPostBPMNParseListeners() == null) {
            configuration.setCustomPostBPMNParseListeners(new java.util.ArrayList<>());
        }
        ExecutionListener listener = this::ended;
        configuration.getCustomPostBPMNParseListeners().add(new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
                if (RELEASE.equals(processDefinition.getKey())) {
                    processDefinition.addListener(ExecutionListener.EVENTNAME_END, listener);
                }
            }
        });
    }

    void ended(DelegateExecution execution) {
        if (!execution.getId().equals(execution.getProcessInstanceId())
                || !"ROLLED_BACK".equals(execution.getVariable("outcome"))) {
            return;
        }
        try {
            HistoricProcessInstance run = execution.getProcessEngineServices().getHistoryService()
                    .createHistoricProcessInstanceQuery().processInstanceId(execution.getProcessInstanceId())
                    .singleResult();
            Instant to = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Instant from = (run == null ? to.minus(Duration.ofMinutes(30)) : run.getStartTime().toInstant().minus(BEFORE))
                    .truncatedTo(ChronoUnit.SECONDS);
            if (from.isBefore(to.minus(props.getMaxWindow()))) {
                from = to.minus(props.getMaxWindow());
            }
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("environment", execution.getVariable("environment"));
            if (execution.getVariable("application") instanceof String app && !app.isBlank()) {
                vars.put("application", app);
            }
            vars.put("from", from.toString());
            vars.put("to", to.toString());
            vars.put("reason", "release run " + execution.getProcessInstanceId() + " rolled back");
            // the same checks the start will make, first: a start refused inside the release's transaction would
            // take the release's end down with it
            try {
                RunbookInputValidator.validate(runbook, vars, environments.getObject());
            } catch (RunbookInputException e) {
                LOG.warn("release run {} rolled back; no log analysis: {}", execution.getProcessInstanceId(),
                        e.getMessage());
                return;
            }
            String id = execution.getProcessEngineServices().getRuntimeService()
                    .startProcessInstanceByKey(AnalyzeLogsRunbook.PROCESS_KEY, vars).getId();
            execution.setVariable("logAnalysisRun", id);
            execution.setVariable("logReportHref", "/api/runs/" + id + "/log-analysis.html");
            LOG.info("release run {} rolled back: log analysis run {} of {} .. {}", execution.getProcessInstanceId(),
                    id, from, to);
        } catch (RuntimeException e) {
            LOG.warn("release run {} rolled back, but no log analysis could be started: {}",
                    execution.getProcessInstanceId(), e.toString());
        }
    }
}
