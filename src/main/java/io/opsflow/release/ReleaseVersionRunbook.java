package io.opsflow.release;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.environments.Environments;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Inputs, lock and cross-field rules of {@code release-version}. The platform enforces them on every start before
 * anything is persisted (invalid → 400 naming field and rule; lock held → 409, nothing started).
 */
@Component
public class ReleaseVersionRunbook extends Runbook {
    public static final String KEY = "release-version";

    /** Longest bake period accepted: a canary is a check, not a parking place for a run holding the lock. */
    public static final Duration MAX_CANARY_BAKE = Duration.ofHours(24);

    public ReleaseVersionRunbook() {
        super(KEY);
    }

    private ArtifactCatalog artifacts;

    /** The start check against the artifact store (absent in process tests). */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void artifactCatalog(ArtifactCatalog catalog) {
        this.artifacts = catalog;
    }

    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment").required(),
                InputSpec.name("application").required(),
                InputSpec.version("version").required(),
                InputSpec.choice("strategy", ReleasePlan.ROLLING, ReleasePlan.BLUE_GREEN, ReleasePlan.CANARY)
                        .defaultValue(ReleasePlan.ROLLING),
                InputSpec.integer("batchSize").min(1).max(100).defaultValue(1),
                InputSpec.integer("maxFailurePercent").min(0).max(100).defaultValue(0),
                InputSpec.text("reason").maxLength(500).optional(),
                InputSpec.pattern("canaryBake", "P(?:[0-9]{1,3}D)?(?:T(?:[0-9]{1,5}H)?(?:[0-9]{1,5}M)?(?:[0-9]{1,6}S)?)?",
                        "an ISO-8601 duration such as PT30S, PT5M or PT1H").defaultValue("PT30S"),
                InputSpec.integer("canaryChecks").min(1).max(100).defaultValue(3));
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("releasePlan", "batches", "batchCount", "evidenceSummary", "checkDiff", "failureBudget", "previousColour", "targetColour", "activeColourBefore", "canaryCheckInterval", "hostsBefore");
    }

    /** One release or deploy per environment and application at a time (shared with deploy-application). */
    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.application((String) vars.get("environment"), (String) vars.get("application")));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        requireReasonWhenApproved(vars, environments, errors);
        ArtifactCatalog.requireInStore(artifacts, vars, errors);
        Object bake = vars.get("canaryBake");
        if (bake instanceof String s) {
            try {
                Duration d = Duration.parse(s);
                if (d.isZero() || d.isNegative()) {
                    errors.add("canaryBake: must be longer than zero (got " + s + ")");
                } else if (d.compareTo(MAX_CANARY_BAKE) > 0) {
                    errors.add("canaryBake: must be at most " + MAX_CANARY_BAKE + " (got " + s + ")");
                }
            } catch (DateTimeParseException e) {
                errors.add("canaryBake: must be an ISO-8601 duration such as PT30S (got " + s + ")");
            }
        }
    }

    static void requireReasonWhenApproved(Map<String, Object> vars, Environments environments, List<String> errors) {
        String env = (String) vars.get("environment");
        Object reason = vars.get("reason");
        if (environments.get(env).requiresApproval() && (!(reason instanceof String r) || r.isBlank())) {
            errors.add("reason: is required because environment " + env + " requires approval (say why, for the "
                    + "approver)");
        }
    }
}
