package io.opsflow.step.ansible;

import java.util.List;

import io.opsflow.step.exec.CommandException;

/**
 * ansible-playbook did not run the playbook to a recap: syntax error, missing role or variable file, bad
 * inventory, a --limit matching no host, or an internal error. Technical: fix the playbook or inventory; the
 * message carries ansible-playbook's exit code and the end of its stderr.
 */
public class AnsibleRunException extends CommandException {
    private final int exitCode;

    public AnsibleRunException(int exitCode, List<String> maskedArgv, String stderrTail) {
        super(tail("ansible-playbook exited with " + exitCode + " (" + meaning(exitCode)
                + ") without a play recap: " + String.join(" ", maskedArgv), stderrTail), maskedArgv, stderrTail,
                null);
        this.exitCode = exitCode;
    }

    private static String tail(String message, String stderrTail) {
        if (stderrTail == null || stderrTail.isBlank()) {
            return message;
        }
        return message + "; stderr tail: " + stderrTail.strip();
    }

    public int exitCode() {
        return exitCode;
    }

    /** ansible-playbook's exit codes (lib/ansible/cli and executor/task_queue_manager). */
    static String meaning(int exit) {
        return switch (exit) {
            case 0 -> "ok";
            case 1 -> "error";
            case 2 -> "one or more hosts failed";
            case 3 -> "one or more hosts unreachable";
            case 4 -> "parser error or unreachable hosts";
            case 5 -> "bad or incomplete options";
            case 99 -> "interrupted";
            case 250 -> "unexpected error";
            default -> "unknown exit code";
        };
    }
}
