package io.opsflow.step.exec;

import java.util.List;

/** A command could not run to a successful end. Technical failure: let Camunda retry and raise an incident. */
public abstract class CommandException extends RuntimeException {
    private final List<String> maskedArgv;
    private final String stderrTail;

    protected CommandException(String message, List<String> maskedArgv, String stderrTail, Throwable cause) {
        super(message, cause);
        this.maskedArgv = List.copyOf(maskedArgv);
        this.stderrTail = stderrTail == null ? "" : stderrTail;
    }

    public List<String> maskedArgv() {
        return maskedArgv;
    }

    public String commandLine() {
        return String.join(" ", maskedArgv);
    }

    public String stderrTail() {
        return stderrTail;
    }

    static String withTail(String message, String stderrTail) {
        if (stderrTail == null || stderrTail.isBlank()) {
            return message;
        }
        return message + "; stderr tail: " + stderrTail.strip();
    }
}
