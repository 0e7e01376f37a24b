package io.opsflow.step.ssh;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * {@code workerScript}: runs one {@code workers/} script on hosts of an environment, at most the environment's
 * parallelism at a time, one connection per host. Inputs: {@code environment}, {@code script} (e.g.
 * {@code service.sh}), {@code scriptArgs} (list or JSON array), optional {@code hosts} (list; default all hosts),
 * optional {@code scriptTimeout} (ISO-8601, default PT10M). Outputs, LOCAL to the task (its own scope when it has
 * input/output mappings, else the execution running it; see {@link SshCommandDelegate}): {@code workerResults} (JSON
 * object host → result line), {@code workerFailedHosts} (list), {@code <activityId>_log}. A script that reports {@code ok:false} on some host is the modelled
 * outcome {@code BpmnError WORKER_FAILED}; unreachable hosts and broken output are technical failures.
 */
@Component("workerScript")
public class WorkerScriptDelegate implements JavaDelegate {
    public static final String WORKER_FAILED = "WORKER_FAILED";
    private static final Pattern SCRIPT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}\\.sh");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Environments environments;
    private final HostTargets targets;
    private final SshFanOut fanOut;
    private final WorkerScripts workers;
    private final StepLogs logs;

    public WorkerScriptDelegate(Environments environments, HostTargets targets, SshFanOut fanOut,
                                WorkerScripts workers, StepLogs logs) {
        this.environments = environments;
        this.targets = targets;
        this.fanOut = fanOut;
        this.workers = workers;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) throws Exception {
        Environment env = environments.get(DelegateInputs.requiredString(execution, "environment"));
        String script = DelegateInputs.requiredString(execution, "script");
        if (!SCRIPT.matcher(script).matches()) {
            throw new IllegalArgumentException("script must name a workers/ script such as service.sh: " + script);
        }
        List<String> args = DelegateInputs.optionalStringList(execution, "scriptArgs");
        List<String> only = DelegateInputs.optionalStringList(execution, "hosts");
        Duration timeout = DelegateInputs.optionalDuration(execution, "scriptTimeout", Duration.ofMinutes(10));
        List<HostConfig> hosts = only == null || only.isEmpty() ? env.hosts()
                : only.stream().map(h -> env.host(h).orElseThrow(() -> new IllegalArgumentException(
                        "environment " + env.name() + " has no host " + h))).toList();
        Map<String, HostConfig> byAddress = new LinkedHashMap<>();
        List<SshTarget> list = hosts.stream().map(h -> {
            SshTarget t = targets.target(env, h);
            byAddress.put(t.display(), h);
            return t;
        }).toList();
        try (StepLog log = logs.forExecution(execution)) {
            FanOutResult<WorkerResult> result = fanOut.forEach(list, env.parallelism(),
                    session -> workers.run(session, script, args == null ? List.of() : args, timeout, log));
            if (!result.allSucceeded()) {
                throw new IllegalStateException("workers/" + script + " could not run on every host: "
                        + result.failureSummary());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            List<String> failed = new java.util.ArrayList<>();
            for (FanOutResult.HostOutcome<WorkerResult> o : result.outcomes()) {
                String host = byAddress.get(o.target().display()).name();
                out.put(host, o.value().json());
                if (!o.value().ok()) {
                    failed.add(host);
                }
            }
            // a failure's outputs go where the error path continues (StepOutputs.forError)
            (failed.isEmpty() ? StepOutputs.of(execution) : StepOutputs.forError(execution))
                    .set("workerResults", JSON.writeValueAsString(out))
                    .set("workerFailedHosts", failed)
                    .set(execution.getCurrentActivityId() + "_log", log.tail());
            if (!failed.isEmpty()) {
                throw new BpmnError(WORKER_FAILED, "workers/" + script + " failed on " + failed);
            }
        }
    }
}
