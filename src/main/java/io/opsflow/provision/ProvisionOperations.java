package io.opsflow.provision;

import java.util.List;
import java.util.Map;

import io.opsflow.step.exec.StepLog;

/**
 * What provision-infrastructure does; the delegates are thin adapters onto this port. The real implementation
 * ({@link TerraformProvisionOperations}) drives {@code io.opsflow.step.terraform.TerraformStep} on the environment's
 * Terraform root and Ansible's configure-host playbook; process tests mock it.
 */
public interface ProvisionOperations {

    /** {@code terraform init} in the environment's root. */
    void init(String environment, StepLog log);

    /**
     * Plans the root with {@code terraformVars} into the run's directory ({@code runId} = process instance id);
     * {@code destroy} plans the destruction of everything in the state.
     */
    Plan plan(String environment, String runId, Map<String, Object> terraformVars, boolean destroy, StepLog log);

    /**
     * Applies the run's stored plan ({@code runId} = process instance id) if and only if its SHA-256 is
     * {@code approvedSha256}; otherwise {@link PlanMismatchException} (nothing applied). Runs on any node (the plan
     * lives in the database). Safe to retry: an already applied plan is not applied twice.
     */
    void apply(String environment, String runId, String approvedSha256, StepLog log);

    /** {@code terraform output -json}: name to value (sensitive outputs masked). */
    Map<String, Object> outputs(String environment, StepLog log);

    /**
     * Runs the base setup playbook (ansible/playbooks/configure-host.yml) on {@code hosts} only. A host that fails or
     * is unreachable throws (the run holds with an incident naming the hosts; retry after fixing).
     */
    void configureHosts(String environment, List<String> hosts, StepLog log);

    /** Checks that {@code hosts} answer over SSH (and pass the playbook's health checks); throws naming the failures. */
    void checkHosts(String environment, List<String> hosts, StepLog log);

    /**
     * A saved plan: whether it changes anything, the counts, one line per changing resource (e.g.
     * {@code "+ module.fleet.terraform_data.host[2] (create)"}), the text for the approver, the plan file and its
     * SHA-256; {@code planId} ({@code <runId>/<sha256>}) names the stored plan.
     */
    record Plan(boolean hasChanges, int add, int change, int destroy, List<String> resourceChanges, String summary,
                String planId, String sha256) {
        public Plan {
            resourceChanges = List.copyOf(resourceChanges);
        }
    }

    /** Apply refused: the plan file is missing, changed after approval, or stale. Never retried. */
    class PlanMismatchException extends RuntimeException {
        public PlanMismatchException(String message) {
            super(message);
        }
    }
}
