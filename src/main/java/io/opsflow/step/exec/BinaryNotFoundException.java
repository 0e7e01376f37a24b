package io.opsflow.step.exec;

import java.util.List;

/** The program to run does not exist or is not executable. Fix: install it or configure its path. */
public class BinaryNotFoundException extends CommandException {
    private final String binary;

    public BinaryNotFoundException(String binary, List<String> maskedArgv, Throwable cause) {
        super("Binary '" + binary + "' not found or not executable (PATH or configured path); install it or fix"
                + " the configuration. Command: " + String.join(" ", maskedArgv), maskedArgv, "", cause);
        this.binary = binary;
    }

    public String binary() {
        return binary;
    }
}
