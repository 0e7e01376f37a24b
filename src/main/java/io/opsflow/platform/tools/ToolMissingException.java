package io.opsflow.platform.tools;

import org.camunda.bpm.engine.ProcessEngineException;

/**
 * A runbook was started on a host that lacks a tool it runs: refused at the start (REST 409) instead of retrying into
 * an incident at the first step that needs it. Nothing is persisted.
 */
public class ToolMissingException extends ProcessEngineException {
    private final String tool;
    private final String install;

    public ToolMissingException(String processKey, Tool tool) {
        super("Runbook '" + processKey + "' needs " + tool.name() + ", which is not installed on this opsflow host"
                + " (looked for " + String.join(", ", tool.candidates()) + " on PATH). Install it: " + tool.install());
        this.tool = tool.name();
        this.install = tool.install();
    }

    public String tool() {
        return tool;
    }

    public String install() {
        return install;
    }
}
