package io.opsflow.step.ssh;

import java.time.Duration;
import java.util.List;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * {@code sshCommand}: runs one command (an argv list, never a shell string) on one host.
 *
 * <p>Inputs: {@code host} (required), {@code sshPort} / {@code sshUser} (default {@code opsflow.ssh.port} /
 * {@code opsflow.ssh.user}), {@code command} (required, list of strings), {@code sshTimeout} (ISO-8601, default
 * {@code opsflow.ssh.command-timeout}), {@code okExitCodes} (list of integers, default [0]). Key and host-key trust
 * come from configuration only ({@code opsflow.ssh.key-ref}, {@code passphrase-ref}, {@code known-hosts},
 * {@code fingerprints}), never from variables.
 *
 * <p>Outputs: {@code exitCode}, {@code stdoutTail} (last 4 KB), {@code <activityId>_log} (log tail), set as LOCAL
 * variables: on the activity's own scope when the task has input/output mappings (the diagram maps what it needs
 * to process names with {@code camunda:outputParameter}, e.g. {@code <camunda:outputParameter name="healthExit">
 * ${exitCode}</camunda:outputParameter>}), else on the execution that runs the task — the process instance in a
 * sequence, the branch in a parallel split or multi-instance — so parallel runs of the step never write one
 * process-level variable at once.
 * An exit code outside {@code okExitCodes} → {@code BpmnError("SSH_COMMAND_FAILED")} (outputs are set first).
 * Connection, host key, authentication failures and timeouts are exceptions (retry, then incident).
 */
@Component("sshCommand")
public class SshCommandDelegate implements JavaDelegate {
    public static final String ERROR_COMMAND_FAILED = "SSH_COMMAND_FAILED";
    static final int STDOUT_TAIL_CHARS = 4096;

    private final SshStep step;
    private final SshProperties properties;
    private final StepLogs stepLogs;

    public SshCommandDelegate(SshStep step, SshProperties properties, StepLogs stepLogs) {
        this.step = step;
        this.properties = properties;
        this.stepLogs = stepLogs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String host = DelegateInputs.requiredString(execution, "host");
        Integer port = DelegateInputs.optionalInt(execution, "sshPort");
        String user = DelegateInputs.optionalString(execution, "sshUser");
        List<String> command = DelegateInputs.optionalStringList(execution, "command");
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("process variable 'command' is required: the argv list to run,"
                    + " e.g. [\"systemctl\",\"is-active\",\"nginx\"]");
        }
        ShellQuote.join(command); // rejects NUL etc. before connecting
        Duration timeout = DelegateInputs.optionalDuration(execution, "sshTimeout", properties.commandTimeout());
        List<Integer> ok = DelegateInputs.optionalIntList(execution, "okExitCodes");
        List<Integer> okCodes = ok == null || ok.isEmpty() ? List.of(0) : ok;
        SshTarget target = properties.target(host, port, user);

        try (StepLog log = stepLogs.forExecution(execution)) {
            SshResult r = step.run(target, command, timeout, log);
            boolean accepted = okCodes.contains(r.exitCode());
            String msg = accepted ? null : "command on " + target.display() + " exited " + r.exitCode()
                    + " (accepted: " + okCodes + ")" + (r.stderrTail().isBlank() ? "" : "; stderr: "
                    + abbreviate(r.stderrTail()));
            if (!accepted) {
                log.line("step", msg);
            }
            // a failed command's outputs go where the error path continues (StepOutputs.forError)
            (accepted ? StepOutputs.of(execution) : StepOutputs.forError(execution))
                    .set("exitCode", r.exitCode())
                    .set("stdoutTail", r.stdoutTail(STDOUT_TAIL_CHARS))
                    .set(execution.getCurrentActivityId() + "_log", log.tail());
            if (!accepted) {
                throw new BpmnError(ERROR_COMMAND_FAILED, msg);
            }
        }
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 1000 ? t : "…" + t.substring(t.length() - 1000);
    }
}
