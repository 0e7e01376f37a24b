package io.opsflow.step.exec;

import java.time.Duration;
import java.util.List;

/** The command ran longer than its timeout; its whole process tree was killed. */
public class CommandTimeoutException extends CommandException {
    private final Duration timeout;

    public CommandTimeoutException(Duration timeout, List<String> maskedArgv, String stderrTail) {
        super(withTail("Command timed out after " + timeout.toSeconds() + "s and was killed (process tree): "
                + String.join(" ", maskedArgv), stderrTail), maskedArgv, stderrTail, null);
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
