package io.opsflow.step.exec;

import java.util.List;

/** The command ended with an exit code the caller did not accept. */
public class CommandFailedException extends CommandException {
    private final int exitCode;

    public CommandFailedException(int exitCode, List<String> maskedArgv, String stderrTail) {
        super(withTail("Command exited with " + exitCode + ": " + String.join(" ", maskedArgv), stderrTail),
                maskedArgv, stderrTail, null);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
