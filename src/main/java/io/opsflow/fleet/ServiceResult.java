package io.opsflow.fleet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What {@code service.sh} reported for one instance: the script's exit code and {@code error} (null when it
 * succeeded), the state now ({@code running}|{@code stopped}, null when the script said nothing about it), the
 * version it runs, and whether one health probe passed (null when stopped).
 */
public record ServiceResult(String host, String app, String instance, String action, int exitCode, String error,
                            String state, String version, Boolean healthy, boolean changed) {

    public boolean ok() {
        return error == null && exitCode == 0;
    }

    public boolean running() {
        return "running".equals(state);
    }

    /** {@code app/instance}. */
    public String label() {
        return app + "/" + instance;
    }

    static ServiceResult of(String host, String app, String instance, String action, int exitCode, String error,
                            JsonNode j) {
        return new ServiceResult(host, app, instance, action, exitCode, error, Json.text(j, "state"),
                Json.text(j, "version"), Json.bool(j, "healthy"), j.path("changed").asBoolean(false));
    }
}
