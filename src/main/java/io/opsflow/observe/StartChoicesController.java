package io.opsflow.observe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environments;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.platform.api.ServerPaths;
import io.opsflow.platform.runbook.InputSpec;

/**
 * What the start forms offer, read live (authentication as every {@code /api} read: Basic or the Tasklist session):
 * <ul>
 * <li>{@code GET /api/environments/{env}/applications}: the applications in the environment's artifact store, each
 * with its versions newest first ({@code {"environment","applications":[{"name","versions":[..]}]}});</li>
 * <li>{@code GET /api/environments/{env}/applications/{app}/versions}: one application's versions
 * ({@code {"environment","application","versions":[..]}}; 404 when the store holds none);</li>
 * <li>{@code GET /api/environments/{env}/backup-targets}: the databases and directories the backup runbook can back
 * up ({@code {"environment","targets":[{"name","kind"}]}}).</li>
 * </ul>
 * An unknown environment is 404; an application that is not a name ({@code ../x}) is 400 before anything runs on a
 * host; a store that cannot be read is 503 saying why (without server paths).
 */
@RestController
@RequestMapping("/api/environments/{environment}")
public class StartChoicesController {
    private static final Logger LOG = LoggerFactory.getLogger(StartChoicesController.class);

    private final Environments environments;
    private final ArtifactCatalog artifacts;
    private final BackupTargets backupTargets;

    public StartChoicesController(Environments environments, ArtifactCatalog artifacts, BackupTargets backupTargets) {
        this.environments = environments;
        this.artifacts = artifacts;
        this.backupTargets = backupTargets;
    }

    @GetMapping("/applications")
    public ResponseEntity<Map<String, Object>> applications(@PathVariable String environment) {
        environments.get(environment);
        Map<String, List<String>> apps;
        try {
            apps = artifacts.applications(environment);
        } catch (IllegalStateException e) {
            return unavailable(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", environment);
        body.put("applications", apps.entrySet().stream()
                .map(a -> Map.of("name", a.getKey(), "versions", a.getValue())).toList());
        return ResponseEntity.ok(body);
    }

    @GetMapping("/applications/{application}/versions")
    public ResponseEntity<Map<String, Object>> versions(@PathVariable String environment,
                                                        @PathVariable String application) {
        environments.get(environment);
        if (!InputSpec.NAME.matcher(application).matches()) {
            throw new IllegalArgumentException("application: must be a name (lower-case letters, digits and '-', "
                    + "starting with a letter or digit, at most 63)");
        }
        List<String> versions;
        try {
            versions = artifacts.versions(environment, application);
        } catch (IllegalStateException e) {
            return unavailable(e);
        }
        if (versions.isEmpty()) {
            return error(HttpStatus.NOT_FOUND, "UnknownApplication", "the artifact store of " + environment
                    + " holds no version of " + application);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", environment);
        body.put("application", application);
        body.put("versions", versions);
        return ResponseEntity.ok(body);
    }

    @GetMapping("/backup-targets")
    public Map<String, Object> backupTargets(@PathVariable String environment) {
        environments.get(environment);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", environment);
        body.put("targets", backupTargets.all(environment).stream()
                .map((BackupTarget t) -> Map.of("name", t.name(), "kind", t.kind())).toList());
        return body;
    }

    private static ResponseEntity<Map<String, Object>> unavailable(IllegalStateException e) {
        LOG.info("artifact store not readable: {}", e.getMessage());
        return error(HttpStatus.SERVICE_UNAVAILABLE, "ArtifactStoreUnavailable", ServerPaths.redact(e.getMessage()));
    }

    private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String type, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type);
        body.put("message", message);
        return ResponseEntity.status(status).body(body);
    }
}
