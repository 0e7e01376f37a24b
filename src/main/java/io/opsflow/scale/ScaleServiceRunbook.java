package io.opsflow.scale;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Inputs of scale-service (form start and the {@code scale-requested} message start alike): a target instance
 * count ({@code instances}) or a relative change ({@code delta}, from alerts), never both.
 * <p>
 * How the run starts decides the cooldown, not a variable: a run started at {@link #MANUAL_START} (Tasklist form,
 * REST start) waits for the cooldown only when the operator asks for it ({@code honourCooldown=true}, default
 * false); a run started by the {@code scale-requested} message at {@link #ALERT_START} (the Alertmanager webhook, or
 * anyone correlating the message) always does, and may not pass {@code honourCooldown}. {@code trigger} is set from
 * the start event ({@code manual} / {@code alert}); a caller may pass it only with that value.
 */
@Component
public class ScaleServiceRunbook extends Runbook {
    public static final String PROCESS_KEY = "scale-service";
    public static final String MESSAGE = "scale-requested";

    /** The form / REST start event. */
    public static final String MANUAL_START = "StartEvent_Requested";
    /** The {@code scale-requested} message start event (alerts). */
    public static final String ALERT_START = "StartEvent_Alert";
    public static final String HONOUR_COOLDOWN = "honourCooldown";

    public ScaleServiceRunbook() {
        super(PROCESS_KEY);
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment"),
                InputSpec.name("application"),
                InputSpec.integer("instances").min(1).max(ScalePlanner.MAX_SCALE_INDEX).optional(),
                InputSpec.integer("delta").min(-20).max(20).optional(),
                InputSpec.text("metric").maxLength(200).optional(),
                InputSpec.text("reason").maxLength(500).optional(),
                InputSpec.choice("trigger", "manual", "alert").defaultValue("manual"),
                InputSpec.bool(HONOUR_COOLDOWN).defaultValue(false));
    }

    /** {@code ignoreCooldown} (until issue 16): a manual scale no longer waits for the cooldown unless asked to. */
    @Override
    public Map<String, String> retiredInputs() {
        return Map.of("ignoreCooldown", "a manual scale does not wait for the cooldown unless it passes "
                + HONOUR_COOLDOWN + "=true (default false), so leave ignoreCooldown out; runs started by an alert "
                + "(the " + MESSAGE + " message) always wait for it");
    }

    /** trigger from the start event; an alert's run always honours the cooldown and cannot be told otherwise. */
    @Override
    public void atStart(String startActivityId, Map<String, Object> passed, Map<String, Object> values,
                        List<String> errors) {
        boolean alert = ALERT_START.equals(startActivityId);
        String trigger = alert ? "alert" : "manual";
        Object passedTrigger = passed.get("trigger");
        if (passedTrigger != null && !"".equals(passedTrigger) && !trigger.equals(passedTrigger)) {
            errors.add("trigger: is '" + trigger + "' for a run started " + (alert ? "by the " + MESSAGE
                    + " message" : "by hand (form or REST start)") + "; it follows how the run starts (got '"
                    + passedTrigger + "')");
        }
        values.put("trigger", trigger);
        if (alert) {
            if (passed.get(HONOUR_COOLDOWN) != null) {
                errors.add(HONOUR_COOLDOWN + ": is for manual starts only; a run started by the " + MESSAGE
                        + " message (alerts) always waits for the cooldown");
            }
            values.put(HONOUR_COOLDOWN, true);
        }
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("previousCount", "targetCount", "capacity", "deployedVersion", "instanceColor", "previousInstances", "scaleDirection", "addPlacements", "removePlacements", "scalePlan");
    }

    /**
     * The release runbooks' lock ({@code release:<env>/<app>}, see release-version and deploy-application): scaling
     * and releasing the same application exclude each other, both change what runs behind the pool, and a scale
     * during a release would start new instances with a version that is about to change.
     */
    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.application((String) vars.get("environment"), (String) vars.get("application")));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        Object instances = vars.get("instances");
        Object delta = vars.get("delta");
        if (instances == null && delta == null) {
            errors.add("instances: a target instance count is required (or a delta, as alerts send)");
        } else if (instances != null && delta != null) {
            errors.add("instances: give either a target instance count or a delta, not both");
        }
        if (delta instanceof Integer d && d == 0) {
            errors.add("delta: must not be 0");
        }
        String reason = (String) vars.get("reason");
        boolean approval = environments.get((String) vars.get("environment")).requiresApproval();
        if (approval && (reason == null || reason.isBlank()) && vars.get("metric") == null) {
            errors.add("reason: is required for an environment that requires approval");
        }
    }
}
