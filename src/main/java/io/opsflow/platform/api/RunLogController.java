package io.opsflow.platform.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.step.exec.StepLogs;

/**
 * Step logs of a run, stored whole out of band ({@code <var-dir>/logs/<processInstanceId>/<activityInstanceId>.log}).
 * {@code GET /api/runs/{pi}/logs} lists them, oldest first, as
 * {@code [{"activityInstanceId","activityId","bytes","href"}]} ({@code activityId} when the run's history knows the
 * activity instance; {@code href} is the relative link {@code /api/runs/{pi}/logs/{activityInstanceId}});
 * {@code GET /api/runs/{pi}/logs/{activityInstanceId}} returns one as text. Where the files live is not part of any
 * answer. Only for runs the caller may read (engine authorization on the historic instance): 404 otherwise; an id
 * that cannot name a step log is a 400, a log that does not exist (or is not a plain file in the run's own folder) a
 * 404.
 */
@RestController
@RequestMapping("/api/runs/{processInstanceId}/logs")
public class RunLogController {
    private static final Logger LOG = LoggerFactory.getLogger(RunLogController.class);

    private final StepLogs logs;
    private final HistoryService history;

    public RunLogController(StepLogs logs, HistoryService history) {
        this.logs = logs;
        this.history = history;
    }

    @GetMapping
    public List<Map<String, Object>> list(@PathVariable String processInstanceId, HttpServletRequest request) {
        requireVisible(processInstanceId);
        Map<String, HistoricActivityInstance> byFileName = new HashMap<>();
        for (HistoricActivityInstance a : history.createHistoricActivityInstanceQuery()
                .processInstanceId(processInstanceId).list()) {
            byFileName.put(a.getId().replace(':', '_'), a);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Path p : logs.list(processInstanceId)) {
            String name = p.getFileName().toString();
            String stem = name.substring(0, name.length() - ".log".length());
            long bytes;
            try {
                bytes = Files.size(p);
            } catch (IOException e) {
                LOG.debug("step log {} of run {} vanished while listing: {}", stem, processInstanceId, e.toString());
                continue;
            }
            HistoricActivityInstance a = byFileName.get(stem);
            String activityInstanceId = a == null ? stem : a.getId();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("activityInstanceId", activityInstanceId);
            if (a != null) {
                entry.put("activityId", a.getActivityId());
            }
            entry.put("bytes", bytes);
            entry.put("href", request.getContextPath() + "/api/runs/" + processInstanceId + "/logs/"
                    + activityInstanceId);
            out.add(entry);
        }
        return out;
    }

    @GetMapping("/{activityInstanceId}")
    public ResponseEntity<FileSystemResource> get(@PathVariable String processInstanceId,
                                                  @PathVariable String activityInstanceId) {
        requireVisible(processInstanceId);
        if (!StepLogs.isValidId(activityInstanceId)) {
            throw new IllegalArgumentException("activityInstanceId: not the id of an activity instance (1-128 letters,"
                    + " digits, ':', '.', '_', '-'; no '..'); the run's list of step logs has their ids and links");
        }
        return logs.find(processInstanceId, activityInstanceId)
                .map(p -> ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(new FileSystemResource(p)))
                .orElseThrow(() -> new RunNotFoundException("run '" + processInstanceId + "' has no step log of "
                        + "activity instance '" + activityInstanceId + "'"));
    }

    /** The run exists and the caller may read it; its id is then a valid step log id too. */
    private void requireVisible(String processInstanceId) {
        if (!StepLogs.isValidId(processInstanceId) || history.createHistoricProcessInstanceQuery()
                .processInstanceId(processInstanceId).count() == 0) {
            throw RunNotFoundException.run(processInstanceId);
        }
    }
}
