package io.opsflow.platform.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import io.opsflow.step.exec.StepLogs;

/**
 * Step logs of a run, kept whole in the engine's database ({@link StepLogs}), so every node serves every run's logs.
 * {@code GET /api/runs/{pi}/logs} lists them, oldest first, as
 * {@code [{"activityInstanceId","activityId","bytes","firstWritten","lastWritten","ended","href"}]} ({@code activityId}
 * when known; {@code ended} once the writer closed it or the run is over; {@code href} is the relative link
 * {@code /api/runs/{pi}/logs/{activityInstanceId}});
 * {@code GET /api/runs/{pi}/logs/{activityInstanceId}} returns one as text;
 * {@code GET /api/runs/{pi}/logs/{activityInstanceId}/stream} follows one as server-sent events while it grows
 * ({@link StepLogStreams}). Only for runs the caller may read (engine authorization on the historic instance): 404
 * otherwise; an id that cannot name a step log is a 400, a log the run does not have a 404.
 */
@RestController
@RequestMapping("/api/runs/{processInstanceId}/logs")
public class RunLogController {
    private static final int PAGE = 1024 * 1024;

    private final StepLogs logs;
    private final HistoryService history;
    private final StepLogStreams streams;

    public RunLogController(StepLogs logs, HistoryService history, StepLogStreams streams) {
        this.logs = logs;
        this.history = history;
        this.streams = streams;
    }

    @GetMapping
    public List<Map<String, Object>> list(@PathVariable String processInstanceId, HttpServletRequest request) {
        // a log nobody closed (its node died) does not grow once the run is over
        boolean runOver = requireVisible(processInstanceId).getEndTime() != null;
        Map<String, HistoricActivityInstance> byId = new HashMap<>();
        for (HistoricActivityInstance a : history.createHistoricActivityInstanceQuery()
                .processInstanceId(processInstanceId).list()) {
            byId.put(a.getId(), a);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (StepLogs.Entry e : logs.list(processInstanceId)) {
            HistoricActivityInstance a = byId.get(e.activityInstanceId());
            String activityId = e.activityId() != null ? e.activityId() : a == null ? null : a.getActivityId();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("activityInstanceId", e.activityInstanceId());
            if (activityId != null) {
                entry.put("activityId", activityId);
            }
            entry.put("bytes", e.bytes());
            entry.put("firstWritten", e.firstWritten().toString());
            entry.put("lastWritten", e.lastWritten().toString());
            entry.put("ended", e.ended() || runOver);
            entry.put("href", request.getContextPath() + "/api/runs/" + processInstanceId + "/logs/"
                    + e.activityInstanceId());
            out.add(entry);
        }
        return out;
    }

    @GetMapping("/{activityInstanceId}")
    public ResponseEntity<StreamingResponseBody> get(@PathVariable String processInstanceId,
                                                     @PathVariable String activityInstanceId) {
        StepLogs.Entry entry = requireLog(processInstanceId, activityInstanceId);
        long end = entry.bytes();
        StreamingResponseBody body = out -> {
            long offset = 0;
            while (offset < end) {
                Optional<StepLogs.Text> page = logs.read(processInstanceId, activityInstanceId, offset, PAGE);
                if (page.isEmpty() || page.get().nextOffset() <= offset) {
                    break;
                }
                out.write(page.get().text().getBytes(StandardCharsets.UTF_8));
                offset = page.get().nextOffset();
            }
        };
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .body(body);
    }

    /**
     * Follows one log as server-sent events: {@code log} events ({@code {"text","next"}}, the event id is the next
     * offset, so a reconnecting EventSource continues where it stopped), then one {@code end} event once the writer
     * closed the log and everything was sent. Starts at {@code offset} or at the {@code Last-Event-ID}.
     */
    @GetMapping("/{activityInstanceId}/stream")
    public Object stream(@PathVariable String processInstanceId, @PathVariable String activityInstanceId,
                         @RequestParam(name = "offset", required = false) Long offset,
                         @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        // an EventSource accepts text/event-stream only: errors are answered as JSON explicitly
        try {
            requireLog(processInstanceId, activityInstanceId);
            long from = offset != null ? offset : parseOffset(lastEventId);
            if (from < 0) {
                throw new IllegalArgumentException("offset: must be 0 or more");
            }
            return streams.follow(processInstanceId, activityInstanceId, from);
        } catch (RunNotFoundException e) {
            return json(ApiExceptionHandler.error(HttpStatus.NOT_FOUND, e));
        } catch (IllegalArgumentException e) {
            return json(ApiExceptionHandler.error(HttpStatus.BAD_REQUEST, e));
        } catch (StepLogStreams.TooManyStreamsException e) {
            return json(ApiExceptionHandler.error(HttpStatus.SERVICE_UNAVAILABLE, e));
        }
    }

    private static ResponseEntity<Map<String, Object>> json(ResponseEntity<Map<String, Object>> error) {
        return ResponseEntity.status(error.getStatusCode()).contentType(MediaType.APPLICATION_JSON)
                .body(error.getBody());
    }

    private static long parseOffset(String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(lastEventId.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Last-Event-ID: not an offset of this stream");
        }
    }

    private StepLogs.Entry requireLog(String processInstanceId, String activityInstanceId) {
        requireVisible(processInstanceId);
        if (!StepLogs.isValidId(activityInstanceId)) {
            throw new IllegalArgumentException("activityInstanceId: not the id of an activity instance (1-128 letters,"
                    + " digits, ':', '.', '_', '-'; no '..'); the run's list of step logs has their ids and links");
        }
        return logs.entry(processInstanceId, activityInstanceId)
                .orElseThrow(() -> new RunNotFoundException("run '" + processInstanceId + "' has no step log of "
                        + "activity instance '" + activityInstanceId + "'"));
    }

    /** The run, when it exists and the caller may read it; its id is then a valid step log id too. */
    private HistoricProcessInstance requireVisible(String processInstanceId) {
        HistoricProcessInstance run = StepLogs.isValidId(processInstanceId) ? history
                .createHistoricProcessInstanceQuery().processInstanceId(processInstanceId).singleResult() : null;
        if (run == null) {
            throw RunNotFoundException.run(processInstanceId);
        }
        return run;
    }
}
