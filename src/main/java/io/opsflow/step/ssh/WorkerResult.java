package io.opsflow.step.ssh;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A worker script's result: exit code, the JSON object of its last stdout line, and its whole stdout.
 * Workers report failure with a non-zero exit and {@code {"ok":false,"error":"…"}}.
 */
public record WorkerResult(int exitCode, JsonNode json, String stdout) {

    /** Exit 0 and no {@code "ok": false} in the JSON. */
    public boolean ok() {
        return exitCode == 0 && !(json.path("ok").isBoolean() && !json.path("ok").asBoolean());
    }

    /** The worker's {@code error} field, or null. */
    public String error() {
        JsonNode e = json.get("error");
        return e == null || e.isNull() ? null : e.isTextual() ? e.asText() : e.toString();
    }
}
