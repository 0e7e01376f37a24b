package io.opsflow.release;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunVariables;

/**
 * Names of the variables of the release and deploy runbooks and typed access to them from a delegate. All values are
 * plain types (String, Integer, Boolean) or JSON strings.
 */
public final class ReleaseVars {
    // inputs
    public static final String ENVIRONMENT = "environment";
    public static final String APPLICATION = "application";
    public static final String VERSION = "version";
    public static final String STRATEGY = "strategy";
    public static final String BATCH_SIZE = "batchSize";
    public static final String MAX_FAILURE_PERCENT = "maxFailurePercent";
    public static final String CANARY_BAKE = "canaryBake";
    public static final String CANARY_CHECKS = "canaryChecks";
    // evidence and plan (set by the gather-evidence step)
    public static final String PLAN = "releasePlan";
    public static final String BATCHES = "batches";
    public static final String BATCH_COUNT = "batchCount";
    public static final String EVIDENCE = "evidenceSummary";
    public static final String CHECK_DIFF = "checkDiff";
    public static final String FAILURE_BUDGET = "failureBudget";
    public static final String PREVIOUS_COLOUR = "previousColour";
    public static final String TARGET_COLOUR = "targetColour";
    public static final String ACTIVE_COLOUR_BEFORE = "activeColourBefore";
    public static final String CANARY_INTERVAL = "canaryCheckInterval";
    public static final String CANARY_DONE = "canaryChecksDone";
    /** Local variable of each batch subprocess instance (copied from loopCounter): survives into compensation. */
    public static final String BATCH_INDEX = "batchIndex";
    // what happened
    public static final String HOSTS_BEFORE = "hostsBefore";
    public static final String HOSTS_AFTER = "hostsAfter";
    public static final String FAILED_HOSTS = "failedHosts";
    public static final String REVERTED_HOSTS = "revertedHosts";
    public static final String RESTORED_HOSTS = "restoredHosts";
    public static final String ROLLBACK_REQUIRED = "rollbackRequired";
    public static final String ROLLBACK_REASON = "rollbackReason";
    public static final String FAILURE_REASON = "failureReason";
    public static final String REMINDERS_SENT = "remindersSent";

    // BpmnError codes (stable; the diagrams catch them)
    public static final String ERR_NOT_POSSIBLE = "RELEASE_NOT_POSSIBLE";
    public static final String ERR_ALREADY_DEPLOYED = "APP_ALREADY_DEPLOYED";
    public static final String ERR_HEALTH = "HEALTH_CHECK_FAILED";
    public static final String ERR_ROLLBACK_INCOMPLETE = "ROLLBACK_INCOMPLETE";

    /** Longest text put into a String variable (databases limit a string variable to 4000 characters). */
    public static final int MAX_TEXT = RunVariables.MAX_TEXT;

    private final DelegateExecution execution;
    private final RunVariables vars;

    public ReleaseVars(DelegateExecution execution) {
        this.execution = execution;
        this.vars = RunVariables.of(execution);
    }

    /** Nothing failed, reverted or restored yet, no rollback required: the start of what happened. */
    public void resetOutcome() {
        setJson(FAILED_HOSTS, List.of());
        setJson(REVERTED_HOSTS, List.of());
        setJson(RESTORED_HOSTS, List.of());
        set(ROLLBACK_REQUIRED, false);
    }

    public DelegateExecution execution() {
        return execution;
    }

    public String environment() {
        return string(ENVIRONMENT);
    }

    public String application() {
        return string(APPLICATION);
    }

    public String version() {
        return string(VERSION);
    }

    public String strategy() {
        return string(STRATEGY);
    }

    public ReleasePlan plan() {
        return ReleaseJson.plan(vars.jsonText(PLAN));
    }

    public int integer(String name) {
        return vars.integer(name);
    }

    public int batchIndex() {
        return integer(BATCH_INDEX);
    }

    public String string(String name) {
        return vars.string(name);
    }

    public List<String> hostList(String name) {
        return vars.strings(name);
    }

    /** Appends to a JSON host list variable (kept at the process instance where the evidence step created it). */
    public void appendHost(String name, String host) {
        List<String> l = new ArrayList<>(hostList(name));
        l.add(host);
        vars.setJson(name, l);
    }

    public void setJson(String name, Object value) {
        vars.setJson(name, value);
    }

    public void set(String name, Object value) {
        execution.setVariable(name, value);
    }

    public void setVersions(String name, Map<String, String> versions) {
        vars.setJson(name, versions);
    }

    /** Records why the run rolls back and throws the health gate's BpmnError. */
    public BpmnError healthFailure(String reason) {
        execution.setVariable(ROLLBACK_REQUIRED, true);
        execution.setVariable(ROLLBACK_REASON, clip(reason));
        return new BpmnError(ERR_HEALTH, clip(reason));
    }

    /** Records the failure reason and returns the BpmnError to throw. */
    public BpmnError failure(String code, String reason) {
        execution.setVariable(FAILURE_REASON, clip(reason));
        return new BpmnError(code, clip(reason));
    }

    public static String clip(String s) {
        return RunVariables.clip(s);
    }
}
