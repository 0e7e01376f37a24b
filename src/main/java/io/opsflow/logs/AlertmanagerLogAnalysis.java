package io.opsflow.logs;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.platform.api.AlertmanagerNotification;
import io.opsflow.platform.approval.SystemPrincipal;
import io.opsflow.platform.runbook.RunbookInputException;

/**
 * {@code POST /api/alerts/alertmanager/analyze-logs}: an Alertmanager webhook receiver that starts an analyze-logs
 * run per firing alert with an {@code environment} label (once per environment/application in a notification):
 * optional labels {@code application} and {@code host}, the window from {@value #BEFORE_MINUTES} minutes before the
 * alert's {@code startsAt} until now (at most {@code opsflow.logs.max-window}; {@code PT30M} when the alert has no
 * start). Route the alerts you want analysed to this URL in Alertmanager (a second receiver beside
 * {@code /api/alerts/alertmanager}, which scales), with basic auth of an operator. Answers 202 with one result per
 * alert ({@code started | ignored | duplicate | invalid}); 400 for a body that is not a notification. The run's
 * initiator is the principal {@code alertmanager}.
 */
@RestController
public class AlertmanagerLogAnalysis {
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerLogAnalysis.class);
    static final int BEFORE_MINUTES = 15;

    private final RuntimeService runtime;
    private final IdentityService identity;
    private final LogsProperties props;

    public AlertmanagerLogAnalysis(RuntimeService runtime, IdentityService identity, LogsProperties props) {
        this.runtime = runtime;
        this.identity = identity;
        this.props = props;
    }

    @PostMapping(path = "/api/alerts/alertmanager/analyze-logs", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> receive(@RequestBody JsonNode payload) {
        List<Map<String, Object>> results = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (AlertmanagerNotification.Alert alert : AlertmanagerNotification.parse(payload).alerts()) {
            results.add(handle(alert, seen));
        }
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("results", results));
    }

    private Map<String, Object> handle(AlertmanagerNotification.Alert alert, Set<String> seen) {
        String env = alert.label("environment");
        String app = alert.label("application");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("alertname", alert.label("alertname"));
        result.put("environment", env);
        if (!alert.firing()) {
            return status(result, "ignored", "alert is " + alert.status() + ", only firing alerts are analysed");
        }
        if (env == null) {
            return status(result, "ignored", "alert has no 'environment' label");
        }
        if (!seen.add(env + "/" + app)) {
            return status(result, "duplicate", "another alert of this notification already analyses " + env
                    + (app == null ? "" : "/" + app));
        }
        Instant to = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant from = alert.startsAt() == null ? to.minus(Duration.ofMinutes(30))
                : alert.startsAt().minus(Duration.ofMinutes(BEFORE_MINUTES)).truncatedTo(ChronoUnit.SECONDS);
        if (from.isBefore(to.minus(props.getMaxWindow()))) {
            from = to.minus(props.getMaxWindow());
        }
        if (!from.isBefore(to)) {
            from = to.minus(Duration.ofMinutes(BEFORE_MINUTES));
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("environment", env);
        if (app != null) {
            vars.put("application", app);
        }
        if (alert.label("host") != null) {
            vars.put("hosts", alert.label("host"));
        }
        vars.put("from", from.toString());
        vars.put("to", to.toString());
        String summary = alert.annotation("summary");
        String reason = "Alertmanager: " + (alert.label("alertname") == null ? "alert" : alert.label("alertname"))
                + (summary == null ? "" : ": " + summary);
        vars.put("reason", reason.length() > 500 ? reason.substring(0, 500) : reason);
        // the run's initiator is the principal "alertmanager", not the user who posted: the start runs without the
        // request's authentication (camunda:initiator would set the poster; the filter has authenticated them)
        Authentication auth = identity.getCurrentAuthentication();
        identity.clearAuthentication();
        try {
            String id = SystemPrincipal.startAs(SystemPrincipal.ALERTMANAGER, () -> runtime
                    .startProcessInstanceByKey(AnalyzeLogsRunbook.PROCESS_KEY, vars)).getId();
            LOG.info("alert {} for {}: analyze-logs run {} started", alert.label("alertname"), env, id);
            result.put("processInstanceId", id);
            return status(result, "started", null);
        } catch (RunbookInputException e) {
            return status(result, "invalid", e.getMessage());
        } finally {
            if (auth != null) {
                identity.setAuthentication(auth);
            }
        }
    }

    private static Map<String, Object> status(Map<String, Object> result, String status, String detail) {
        result.put("status", status);
        if (detail != null) {
            result.put("detail", detail);
        }
        return result;
    }
}
