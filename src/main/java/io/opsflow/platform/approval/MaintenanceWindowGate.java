package io.opsflow.platform.approval;

import java.time.Instant;
import java.util.Optional;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.environments.MaintenancePolicy;
import io.opsflow.platform.runbook.MaintenanceInputs;
import io.opsflow.platform.runbook.RunVariables;

/**
 * "Approve now, run later": the gate every runbook that changes hosts draws right after its approval.
 * <pre>
 *  Gateway_ApprovalDone → Gateway_MaintenanceWindow ─ yes ─→ Gateway_ApprovalFresh ─ yes ─→ first step
 *                           │  ↑                                 └─ no: ask again → the approval gateway
 *                           no └── Timer_MaintenanceWindow (${windowOpensAt})
 * </pre>
 * {@code ${planMaintenanceWindow}} (start listener of {@code Gateway_MaintenanceWindow}) sets {@code windowOpensAt}:
 * null when the run may act now, else the ISO-8601 moment it waits for (the requested {@code runAt}, or the next
 * opening of the environment's windows) — what Cockpit shows next to the waiting timer.
 * {@code ${checkApprovalAge}} (start listener of {@code Gateway_ApprovalFresh}) sets {@code approvalFresh}: false when
 * the run needs an approval and the one it has is older than the environment's {@code approval-max-age}; when fresh it
 * records the pass in opsflow's own table, which {@link ActionGuard} requires of every acting step in an environment
 * with windows (a run moved past the gate by any API never acts).
 */
public final class MaintenanceWindowGate {
    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceWindowGate.class);
    public static final String GATEWAY_ID = "Gateway_MaintenanceWindow";
    public static final String WINDOW_OPENS_AT = "windowOpensAt";
    public static final String APPROVAL_FRESH = "approvalFresh";

    private MaintenanceWindowGate() {
    }

    static MaintenancePolicy policy(Environments environments, DelegateExecution execution) {
        return environments.maintenance(RunVariables.of(execution).optional("environment"));
    }

    /** {@code ${planMaintenanceWindow}}: when may the run act. */
    @Component("planMaintenanceWindow")
    public static class Plan implements ExecutionListener {
        private final Environments environments;

        public Plan(Environments environments) {
            this.environments = environments;
        }

        @Override
        public void notify(DelegateExecution execution) {
            Instant now = RunVariables.now();
            Instant runAt = MaintenanceInputs.parse(execution.getVariable(MaintenanceInputs.RUN_AT));
            Optional<Instant> wait = policy(environments, execution).waitUntil(now, runAt);
            execution.setVariable(WINDOW_OPENS_AT, wait.map(Instant::toString).orElse(null));
            wait.ifPresent(at -> LOG.info("run {} waits for its maintenance window: goes at {}",
                    execution.getProcessInstanceId(), at));
        }
    }

    /** {@code ${checkApprovalAge}}: is the approval still fresh enough to act on; records the pass when it is. */
    @Component("checkApprovalAge")
    public static class ApprovalAge implements ExecutionListener {
        private final Environments environments;
        private final ApprovalRecords records;

        public ApprovalAge(Environments environments, ApprovalRecords records) {
            this.environments = environments;
            this.records = records;
        }

        @Override
        public void notify(DelegateExecution execution) {
            Instant now = RunVariables.now();
            String pi = execution.getProcessInstanceId();
            MaintenancePolicy policy = policy(environments, execution);
            boolean needsApproval = Boolean.TRUE.equals(execution.getVariable("requiresApproval"));
            ApprovalRecords.Approval approval = needsApproval ? records.latestApproval(pi).orElse(null) : null;
            boolean fresh = approval == null || policy.approvalFresh(approval.decidedAt(), now);
            execution.setVariable(APPROVAL_FRESH, fresh);
            if (fresh) {
                records.recordWindowPass(pi, now, approval == null ? null : approval.taskId());
            } else {
                LOG.info("run {}: the approval by {} at {} is older than {} at window time; asking again", pi,
                        approval.decidedBy(), approval.decidedAt(), policy.approvalMaxAge());
            }
        }
    }
}
