package io.opsflow.step.terraform;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a saved plan will do, from {@code terraform show -json}: counts as Terraform reports them (a replacement
 * counts once in add and once in destroy), the changing resources, and the plan file with its SHA-256 — the hash
 * the approver sees and apply insists on.
 */
public record PlanSummary(int add, int change, int destroy, List<ResourceChange> resourceChanges, Path planFile,
                          String sha256, boolean hasChanges) {

    public PlanSummary {
        resourceChanges = List.copyOf(resourceChanges);
    }

    /** "Plan: 1 to add, 0 to change, 0 to destroy." plus one line per changing resource (for the approver). */
    public String describe() {
        if (!hasChanges) {
            return "No changes. Infrastructure matches the configuration.";
        }
        String head = "Plan: " + add + " to add, " + change + " to change, " + destroy + " to destroy.";
        if (resourceChanges.isEmpty()) {
            return head + " (only output values change)";
        }
        return head + "\n" + resourceChanges.stream()
                .map(rc -> rc.symbol() + " " + rc.address() + " (" + String.join(", ", rc.actions()) + ")")
                .collect(Collectors.joining("\n"));
    }
}
