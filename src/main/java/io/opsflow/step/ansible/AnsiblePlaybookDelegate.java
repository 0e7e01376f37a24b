package io.opsflow.step.ansible;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.variable.Variables;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * {@code ansiblePlaybook}: runs a playbook from ansible/playbooks with the real ansible-playbook.
 *
 * <p>Inputs: {@code playbook} (name, {@code [a-z0-9-]+.yml}, required); {@code environment} (optional: its
 * {@code ansible-inventory}, its SSH host-key-checking setting, and the limit to its inventory group);
 * {@code inventory} (optional, overrides the environment's: a path inside ansible/ or the var directory);
 * {@code limit} (host/group pattern); {@code extraVars} (Map or JSON object string); {@code checkMode} (boolean:
 * --check --diff); {@code ansibleTimeout} (ISO-8601 duration, default opsflow.ansible.timeout).
 *
 * <p>Outputs: {@code ansibleStats} (JSON string, per host ok/changed/failed/unreachable/skipped/rescued/ignored),
 * {@code ansibleFailedHosts} and {@code ansibleUnreachableHosts} (List of host names), {@code ansibleChanged}
 * (boolean), {@code ansibleDiff} (changes as text, at most 3900 chars), {@code ansibleDiffFile} (text/plain file,
 * at most 16 KB, when there are changes), {@code <activityId>_log} (tail of the step log). They are never
 * process-level names ({@link StepOutputs}): local to the task's scope or the execution running it (the process
 * instance in a plain sequence, the branch in a parallel split); a diagram maps what it reads later with
 * {@code camunda:outputParameter} when the task is a scope (input/output mappings or a boundary event).
 *
 * <p>Errors: a task failed on any host: BpmnError {@code PLAYBOOK_FAILED} (outputs set first, on the execution the
 * error path continues on, so the handler reads {@code ansibleFailedHosts}). Hosts only
 * unreachable: {@link HostsUnreachableException} (retry, then incident). Bad input, unknown environment, missing
 * ansible-playbook, timeout, playbook syntax errors: exceptions (retry, then incident naming the fix).
 */
@Component("ansiblePlaybook")
public class AnsiblePlaybookDelegate implements JavaDelegate {
    public static final String PLAYBOOK_FAILED = "PLAYBOOK_FAILED";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AnsibleStep step;
    private final StepLogs stepLogs;
    private final ObjectProvider<Environments> environments;
    private final Path varDir;

    public AnsiblePlaybookDelegate(AnsibleStep step, StepLogs stepLogs, ObjectProvider<Environments> environments,
                                   @Value("${opsflow.var-dir:var}") String varDir) {
        this.step = step;
        this.stepLogs = stepLogs;
        this.environments = environments;
        this.varDir = Path.of(varDir).toAbsolutePath().normalize();
    }

    @Override
    public void execute(DelegateExecution execution) {
        AnsibleRun run = runFor(execution);
        AnsibleProperties props = step.properties();
        PlaybookResult result = null;
        String logTail;
        try (StepLog log = stepLogs.forExecution(execution)) {
            try {
                result = step.runPlaybook(run, log);
            } finally {
                logTail = tail(log.tail(), props.getMaxVariableChars());
                if (result == null) { // a technical failure: the tail goes with the task, as the outputs would
                    StepOutputs.of(execution).set(execution.getCurrentActivityId() + "_log", logTail);
                }
            }
        }
        StepOutputs out = result.failedHosts().isEmpty() ? StepOutputs.of(execution) : StepOutputs.forError(execution);
        out.set(execution.getCurrentActivityId() + "_log", logTail);
        out.set("ansibleStats", result.statsJson());
        out.set("ansibleFailedHosts", new java.util.ArrayList<>(result.failedHosts()));
        out.set("ansibleUnreachableHosts", new java.util.ArrayList<>(result.unreachableHosts()));
        out.set("ansibleChanged", result.changed());
        out.set("ansibleDiff", result.diffText(props.getMaxVariableChars()));
        if (!result.diffs().isEmpty()) {
            out.set("ansibleDiffFile", Variables.fileValue("ansible-diff.txt")
                    .file(result.diffText(props.getMaxDiffChars()).getBytes(StandardCharsets.UTF_8))
                    .mimeType("text/plain").encoding(StandardCharsets.UTF_8).create());
        }
        if (!result.failedHosts().isEmpty()) {
            throw new BpmnError(PLAYBOOK_FAILED, PlaybookFailedException.message(result));
        }
        if (!result.unreachableHosts().isEmpty()) {
            throw new HostsUnreachableException(result);
        }
    }

    /** Reads and validates the inputs; nothing runs when one is wrong. */
    AnsibleRun runFor(DelegateExecution execution) {
        String playbookName = string(execution, "playbook");
        if (playbookName == null) {
            throw new IllegalArgumentException("playbook: required (a playbook name from ansible/playbooks)");
        }
        Path playbook = step.playbook(playbookName);
        String envName = string(execution, "environment");
        Environment env = null;
        if (envName != null) {
            Environments envs = environments.getIfAvailable();
            if (envs == null) {
                throw new IllegalStateException("environment " + envName + " given but no environments are configured");
            }
            env = envs.get(envName);
        }
        Path inventory = inventory(string(execution, "inventory"), env);
        String limit = effectiveLimit(string(execution, "limit"), envName,
                step.properties().isLimitToEnvironmentGroup());
        boolean hostKeyChecking = env == null || env.ssh() == null || env.ssh().hostKeyChecking();
        return new AnsibleRun(playbook, inventory, limit, extraVars(execution.getVariable("extraVars")),
                Boolean.TRUE.equals(execution.getVariable("checkMode")), timeout(string(execution, "ansibleTimeout")),
                Map.of(), hostKeyChecking);
    }

    /** The inventory: the process variable (confined to ansible/ and the var directory) or the environment's. */
    Path inventory(String fromVariable, Environment env) {
        Path ansibleDir = step.properties().ansibleDir();
        if (fromVariable != null) {
            Path p = Path.of(fromVariable);
            Path resolved = (p.isAbsolute() ? p : ansibleDir.resolve(p)).toAbsolutePath().normalize();
            if (!resolved.startsWith(ansibleDir) && !resolved.startsWith(varDir)) {
                throw new IllegalArgumentException("inventory: must be inside " + ansibleDir + " or " + varDir + ": "
                        + AnsibleRun.printable(fromVariable));
            }
            return resolved;
        }
        if (env != null && env.ansibleInventory() != null && !env.ansibleInventory().isBlank()) {
            return step.inventory(env);
        }
        throw new IllegalArgumentException("inventory: none given (set the process variable inventory or "
                + "opsflow.environments.<env>.ansible-inventory)" + (env == null ? "" : " for environment " + env.name()));
    }

    /**
     * The --limit: the given pattern, confined to the environment's group when an environment is given (the
     * pattern then gets {@code ,&<env>} appended: Ansible intersects every {@code &} term with the union of the
     * others).
     */
    static String effectiveLimit(String limit, String envName, boolean limitToEnvironmentGroup) {
        String l = AnsibleRun.validateLimit(limit);
        if (envName == null || !limitToEnvironmentGroup) {
            return l;
        }
        AnsibleRun.validateLimit(envName);
        if (l == null) {
            return envName;
        }
        boolean colonSeparated = !l.contains(",") && l.replaceAll("\\[[^\\]]*\\]", "").contains(":");
        return l + (colonSeparated ? ":&" : ",&") + envName;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> extraVars(Object value) {
        if (value == null) {
            return Map.of();
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                if (!(k instanceof String key)) {
                    throw new IllegalArgumentException("extraVars: keys must be strings");
                }
                copy.put(key, v);
            });
            return copy;
        }
        if (value instanceof String s) {
            if (s.isBlank()) {
                return Map.of();
            }
            try {
                Object parsed = JSON.readValue(s, Object.class);
                if (parsed instanceof Map<?, ?> m) {
                    return (Map<String, Object>) m;
                }
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("extraVars: not a JSON object: " + e.getOriginalMessage());
            }
            throw new IllegalArgumentException("extraVars: must be a JSON object");
        }
        throw new IllegalArgumentException("extraVars: must be a Map or a JSON object string, not "
                + value.getClass().getSimpleName());
    }

    static Duration timeout(String iso) {
        if (iso == null) {
            return null;
        }
        try {
            Duration d = Duration.parse(iso);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("ansibleTimeout: must be positive: " + iso);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("ansibleTimeout: not an ISO-8601 duration (e.g. PT20M): "
                    + AnsibleRun.printable(iso));
        }
    }

    private static String string(DelegateExecution execution, String name) {
        Object v = execution.getVariable(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(name + ": must be a string, not " + v.getClass().getSimpleName());
        }
        return s.isBlank() ? null : s;
    }

    static String tail(String text, int max) {
        return text.length() <= max ? text : text.substring(text.length() - max);
    }

}
