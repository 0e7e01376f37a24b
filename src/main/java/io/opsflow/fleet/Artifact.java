package io.opsflow.fleet;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/** One release artifact an artifact store holds: {@code <app>-<version>.tar.gz} (docs/contracts.md, "Artifacts"). */
public record Artifact(String app, String version) {

    /** The {@code artifacts} of {@code artifact-list.sh}'s result, in the store's order. */
    static List<Artifact> parse(JsonNode result) {
        List<Artifact> out = new ArrayList<>();
        for (JsonNode a : result.path("artifacts")) {
            String app = Json.text(a, "app");
            String version = Json.text(a, "version");
            if (app != null && version != null) {
                out.add(new Artifact(app, version));
            }
        }
        return List.copyOf(out);
    }
}
