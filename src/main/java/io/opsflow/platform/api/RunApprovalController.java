package io.opsflow.platform.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.platform.approval.ApprovalRecords;

/**
 * The audit of a run's approval: {@code GET /api/runs/{pi}/approval} answers who started the run (and how), whether
 * it needs an approval, the latest approval record (who asked, the eligible group, the evidence SHA-256, who
 * decided, when, the decision and comment) with the earlier ones, and the refused attempts against the run. Only for
 * runs the caller may read (engine authorization on the historic instance); 404 ({@code {type, message}}) for
 * another run, or one without records.
 */
@RestController
@RequestMapping("/api/runs/{processInstanceId}/approval")
public class RunApprovalController {
    private final ApprovalRecords records;
    private final HistoryService history;

    public RunApprovalController(ApprovalRecords records, HistoryService history) {
        this.records = records;
        this.history = history;
    }

    @GetMapping
    public ResponseEntity<Map<String, Object>> get(@PathVariable String processInstanceId) {
        if (history.createHistoricProcessInstanceQuery().processInstanceId(processInstanceId).count() == 0) {
            throw RunNotFoundException.run(processInstanceId);
        }
        var run = records.run(processInstanceId);
        if (run.isEmpty()) {
            throw new RunNotFoundException("run '" + processInstanceId + "' has no opsflow start record");
        }
        List<ApprovalRecords.Approval> approvals = records.approvals(processInstanceId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("processInstanceId", processInstanceId);
        body.put("runbook", run.get().runbook());
        body.put("initiator", run.get().initiator());
        body.put("startedVia", run.get().startedVia());
        body.put("startedAt", run.get().startedAt().toString());
        body.put("approvalRequired", run.get().approvalRequired());
        body.put("approval", approvals.isEmpty() ? null : approvals.get(0).toMap());
        body.put("earlierApprovals", approvals.stream().skip(1).map(ApprovalRecords.Approval::toMap).toList());
        body.put("refusals", records.refusals(processInstanceId).stream().map(ApprovalRecords.Refusal::toMap)
                .toList());
        return ResponseEntity.ok(body);
    }
}
