package io.opsflow.backup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.platform.environments.Environments;

/**
 * The backup catalog over HTTP: {@code GET /api/backups?environment=…} (backups, newest first) and
 * {@code GET /api/backups/drills?environment=…} (restores and drills with their measured RTO and RPO).
 */
@RestController
@RequestMapping("/api/backups")
public class BackupController {
    private final BackupCatalog catalog;
    private final Environments environments;

    public BackupController(BackupCatalog catalog, Environments environments) {
        this.catalog = catalog;
        this.environments = environments;
    }

    @GetMapping
    public ResponseEntity<?> backups(@RequestParam(required = false) String environment) {
        if (environment != null && !environments.exists(environment)) {
            return unknown(environment);
        }
        return ResponseEntity.ok(Map.of("environment", environment == null ? "*" : environment,
                "backups", catalog.list(environment)));
    }

    @GetMapping("/drills")
    public ResponseEntity<?> drills(@RequestParam(required = false) String environment) {
        if (environment != null && !environments.exists(environment)) {
            return unknown(environment);
        }
        List<RestoreRecord> all = catalog.restores(environment);
        Map<String, Object> summary = new LinkedHashMap<>();
        List<RestoreRecord> drills = all.stream().filter(RestoreRecord::drill).toList();
        summary.put("drills", drills.size());
        summary.put("drillsSucceeded", drills.stream().filter(r -> "SUCCEEDED".equals(r.outcome())).count());
        summary.put("lastDrill", drills.isEmpty() ? null : drills.get(0));
        summary.put("restores", all.size() - drills.size());
        summary.put("maxRtoSeconds", max(all.stream().mapToLong(r -> r.rtoSeconds() == null ? -1 : r.rtoSeconds())
                .filter(v -> v >= 0).max()));
        summary.put("maxRpoSeconds", max(all.stream().mapToLong(r -> r.rpoSeconds() == null ? -1 : r.rpoSeconds())
                .filter(v -> v >= 0).max()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", environment == null ? "*" : environment);
        body.put("summary", summary);
        body.put("runs", all);
        return ResponseEntity.ok(body);
    }

    private static Long max(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    private ResponseEntity<?> unknown(String environment) {
        return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", "unknown environment '"
                + environment.replaceAll("[^A-Za-z0-9_.-]", "?") + "'; configured: " + environments.names()));
    }
}
