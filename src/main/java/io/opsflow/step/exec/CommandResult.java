package io.opsflow.step.exec;

import java.time.Duration;
import java.util.List;

/** What a finished command did. {@code stdout} is the whole (masked) standard output; stderr keeps its tail. */
public record CommandResult(List<String> maskedArgv, int exitCode, Duration duration, String stdout,
                            String stderrTail) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    public String commandLine() {
        return String.join(" ", maskedArgv);
    }
}
