package io.opsflow.platform.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.step.exec.StepLogs;

/**
 * Step logs of a run, stored whole out of band ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}):
 * {@code GET /api/runs/{pi}/logs} lists them, {@code GET /api/runs/{pi}/logs/{activityInstanceId}} returns one.
 * Only for runs the caller may read (engine authorization on the historic instance).
 */
@RestController
@RequestMapping("/api/runs/{processInstanceId}/logs")
public class RunLogController {
    private final StepLogs logs;
    private final HistoryService history;

    public RunLogController(StepLogs logs, HistoryService history) {
        this.logs = logs;
        this.history = history;
    }

    @GetMapping
    public List<Map<String, Object>> list(@PathVariable String processInstanceId) throws IOException {
        requireVisible(processInstanceId);
        return logs.list(processInstanceId).stream().map(p -> {
            String name = p.getFileName().toString();
            try {
                return Map.<String, Object>of("activityInstanceId", name.substring(0, name.length() - 4),
                        "path", p.toString(), "bytes", Files.size(p));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    @GetMapping("/{activityInstanceId}")
    public ResponseEntity<FileSystemResource> get(@PathVariable String processInstanceId,
                                                  @PathVariable String activityInstanceId) {
        requireVisible(processInstanceId);
        Path p = logs.locate(processInstanceId, activityInstanceId.replace(':', '_'));
        if (!Files.isRegularFile(p)) {
            return ResponseEntity.notFound().build();
        }
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(new FileSystemResource(p));
    }

    private void requireVisible(String processInstanceId) {
        if (history.createHistoricProcessInstanceQuery().processInstanceId(processInstanceId).count() == 0) {
            throw new IllegalArgumentException("no run " + processInstanceId + " visible to you");
        }
    }
}
