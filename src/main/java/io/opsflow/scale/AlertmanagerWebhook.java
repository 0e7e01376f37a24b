package io.opsflow.scale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.platform.api.AlertmanagerNotification;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.approval.SystemPrincipal;
import io.opsflow.platform.runbook.RunbookInputException;

/**
 * Turns a Prometheus Alertmanager webhook notification (JSON version 4) into scale-service runs: one
 * {@code scale-requested} message start per firing alert that names an {@code environment} and an
 * {@code application} (labels). How much to scale comes from the label or annotation {@code scale_delta} (e.g. "1",
 * "-1") or {@code scale_target} (an instance count); without either, {@code opsflow.scale.alert-default-delta}.
 * Resolved alerts start nothing (scale-in is its own alert, e.g. LowTraffic with scale_delta=-1).
 * <p>
 * An alert inside the cooldown of its environment/application starts no run at all ({@code cooldown}): Alertmanager
 * repeats notifications every repeat_interval, and each repeat must not become a REJECTED run. A run already going on
 * the same application is {@code busy}; invalid labels are {@code invalid} with the validation message.
 */
@Component
public class AlertmanagerWebhook {
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerWebhook.class);
    private static final Pattern INT = Pattern.compile("[+-]?[0-9]{1,3}");

    private final RuntimeService runtime;
    private final HistoryService history;
    private final IdentityService identity;
    private final ScaleProperties props;

    public AlertmanagerWebhook(RuntimeService runtime, HistoryService history, IdentityService identity,
                               ScaleProperties props) {
        this.runtime = runtime;
        this.history = history;
        this.identity = identity;
        this.props = props;
    }

    /** Thrown for a payload that is not an Alertmanager notification at all (HTTP 400). */
    public static class InvalidPayloadException extends RuntimeException {
        public InvalidPayloadException(String message) {
            super(message);
        }
    }

    /** One entry per alert of the notification. */
    public record Result(String alertname, String environment, String application, String status,
                         String processInstanceId, String detail) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("alertname", alertname);
            m.put("environment", environment);
            m.put("application", application);
            m.put("status", status);
            if (processInstanceId != null) {
                m.put("processInstanceId", processInstanceId);
            }
            if (detail != null) {
                m.put("detail", detail);
            }
            return m;
        }
    }

    public List<Result> handle(JsonNode payload) {
        AlertmanagerNotification notification;
        try {
            notification = AlertmanagerNotification.parse(payload);
        } catch (IllegalArgumentException e) {
            throw new InvalidPayloadException(e.getMessage());
        }
        List<Result> results = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (AlertmanagerNotification.Alert alert : notification.alerts()) {
            results.add(handleAlert(alert, seen));
        }
        return results;
    }

    private Result handleAlert(AlertmanagerNotification.Alert alert, Set<String> seen) {
        String alertname = alert.label("alertname");
        String env = alert.label("environment");
        String app = alert.label("application");
        String status = alert.status();
        if (!alert.firing()) {
            return new Result(alertname, env, app, "ignored", null, "alert is " + status + ", only firing alerts scale");
        }
        if (env == null || app == null) {
            return new Result(alertname, env, app, "ignored", null,
                    "alert has no 'environment' and 'application' labels");
        }
        String key = env + "/" + app;
        if (!seen.add(key)) {
            return new Result(alertname, env, app, "duplicate", null,
                    "another alert of this notification already scales " + key);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("environment", env);
        vars.put("application", app);
        vars.put("trigger", "alert");
        String summary = alert.annotation("summary");
        String metric = alertname == null ? "alert" : alertname;
        if (summary != null) {
            metric = metric + ": " + summary;
        }
        vars.put("metric", truncate(metric, 200));
        vars.put("reason", truncate("Alertmanager: " + metric, 500));
        String target = alert.labelOrAnnotation("scale_target");
        String delta = alert.labelOrAnnotation("scale_delta");
        try {
            if (target != null) {
                vars.put("instances", parseInt("scale_target", target));
            } else {
                vars.put("delta", delta != null ? parseInt("scale_delta", delta) : props.getAlertDefaultDelta());
            }
        } catch (IllegalArgumentException e) {
            return new Result(alertname, env, app, "invalid", null, e.getMessage());
        }
        Instant now = ClockUtil.getCurrentTime().toInstant();
        if (env.length() <= 63 && app.length() <= 63) {
            ScaleCooldown.Status cooldown = cooldown(env, app, now);
            if (cooldown.active()) {
                LOG.info("alert {} for {}: in cooldown until {}, no run started", alertname, key, cooldown.until());
                return new Result(alertname, env, app, "cooldown", null,
                        cooldown.reason(env, app, props.getCooldown()));
            }
        }
        try {
            // the run's initiator is the named principal "alertmanager", whoever posted the alert: a person must
            // still approve it where the environment requires approval
            ProcessInstance pi = SystemPrincipal.startAs(SystemPrincipal.ALERTMANAGER, () -> runtime
                    .createMessageCorrelation(ScaleServiceRunbook.MESSAGE).setVariables(vars).correlateStartMessage());
            LOG.info("alert {} for {}: scale-service run {} started", alertname, key, pi.getId());
            return new Result(alertname, env, app, "started", pi.getId(), null);
        } catch (RunbookInputException e) {
            LOG.warn("alert {} for {}: refused: {}", alertname, key, e.getMessage());
            return new Result(alertname, env, app, "invalid", null, e.getMessage());
        } catch (RunbookLockedException e) {
            return new Result(alertname, env, app, "busy", null, e.getMessage());
        }
    }

    /**
     * The cooldown is a system rule: it must see every earlier scale of the application, not only the runs the
     * webhook's user may read, so the history query runs without the request's authentication.
     */
    private ScaleCooldown.Status cooldown(String env, String app, Instant now) {
        Authentication auth = identity.getCurrentAuthentication();
        identity.clearAuthentication();
        try {
            return ScaleCooldown.check(history, env, app, props.getCooldown(), now);
        } finally {
            if (auth != null) {
                identity.setAuthentication(auth);
            }
        }
    }

    private static int parseInt(String name, String value) {
        String v = value.trim();
        if (!INT.matcher(v).matches()) {
            throw new IllegalArgumentException(name + ": must be an integer such as 1 or -1 (got '" + truncate(v, 20)
                    + "')");
        }
        return Integer.parseInt(v.startsWith("+") ? v.substring(1) : v);
    }


    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
