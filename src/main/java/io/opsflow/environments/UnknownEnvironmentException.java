package io.opsflow.environments;

public class UnknownEnvironmentException extends RuntimeException {
    public UnknownEnvironmentException(String name, java.util.Collection<String> known) {
        super("unknown environment '" + name + "'; configured: " + known);
    }
}
