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

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.RestoreRecord;
import io.opsflow.platform.api.ServerPaths;
import io.opsflow.environments.Environments;

/**
 * The backup catalog over HTTP: {@code GET /api/backups?environment=…} (backups, newest first) and
 * {@code GET /api/backups/drills?environment=…} (restores and drills with their measured RTO and RPO). Rows are
 * named by id and object key: where a copy lies (the offsite store's path, a host's directory) is not in the answer.
 */
@RestController
@RequestMapping("/api/backups")
class BackupController {
    private final BackupCatalog catalog;
    private final Environments environments;

    BackupController(BackupCatalog catalog, Environments environments) {
        this.catalog = catalog;
        this.environments = environments;
    }

    @GetMapping
    public ResponseEntity<?> backups(@RequestParam(required = false) String environment) {
        if (environment != null && !environments.exists(environment)) {
            return unknown(environment);
        }
        return ResponseEntity.ok(Map.of("environment", environment == null ? "*" : environment,
                "backups", catalog.list(environment).stream().map(BackupController::view).toList()));
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
        summary.put("lastDrill", drills.isEmpty() ? null : view(drills.get(0)));
        summary.put("restores", all.size() - drills.size());
        summary.put("maxRtoSeconds", max(all.stream().mapToLong(r -> r.rtoSeconds() == null ? -1 : r.rtoSeconds())
                .filter(v -> v >= 0).max()));
        summary.put("maxRpoSeconds", max(all.stream().mapToLong(r -> r.rpoSeconds() == null ? -1 : r.rpoSeconds())
                .filter(v -> v >= 0).max()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", environment == null ? "*" : environment);
        body.put("summary", summary);
        body.put("runs", all.stream().map(BackupController::view).toList());
        return ResponseEntity.ok(body);
    }

    /**
     * A catalog row as the API shows it: by id and object key, not by where it lies. No {@code location} (the
     * offsite store's URI of the copy, e.g. {@code file:///srv/backups/…}); {@code source} is the database URL, or
     * for a directory target the host it is read from, not the directory.
     */
    static Map<String, Object> view(BackupEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("environment", e.environment());
        m.put("target", e.target());
        m.put("kind", e.kind());
        m.put("source", source(e));
        m.put("objectKey", e.objectKey());
        m.put("sizeBytes", e.sizeBytes());
        m.put("sha256", e.sha256());
        m.put("startedAt", e.startedAt());
        m.put("finishedAt", e.finishedAt());
        m.put("verified", e.verified());
        m.put("purpose", e.purpose());
        m.put("rowCounts", e.rowCounts());
        m.put("verifyValue", e.verifyValue());
        m.put("processInstanceId", e.processInstanceId());
        m.put("lastRestoredAt", e.lastRestoredAt());
        return m;
    }

    /** A restore or drill as the API shows it: its {@code detail} (a failure reason, say) without server paths. */
    static Map<String, Object> view(RestoreRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("backupId", r.backupId());
        m.put("environment", r.environment());
        m.put("target", r.target());
        m.put("targetKind", r.targetKind());
        m.put("drill", r.drill());
        m.put("startedAt", r.startedAt());
        m.put("finishedAt", r.finishedAt());
        m.put("outcome", r.outcome());
        m.put("rtoSeconds", r.rtoSeconds());
        m.put("rpoSeconds", r.rpoSeconds());
        m.put("detail", ServerPaths.redact(r.detail()));
        m.put("processInstanceId", r.processInstanceId());
        return m;
    }

    private static String source(BackupEntry e) {
        String s = e.source();
        if (s != null && BackupTarget.FILES.equals(e.kind()) && s.indexOf(':') > 0) {
            return s.substring(0, s.indexOf(':')); // "web-1:/var/www" -> "web-1"
        }
        return ServerPaths.redact(s);
    }

    private static Long max(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    private ResponseEntity<?> unknown(String environment) {
        return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", "unknown environment '"
                + environment.replaceAll("[^A-Za-z0-9_.-]", "?") + "'; configured: " + environments.names()));
    }
}
