package io.opsflow.step.terraform;

import java.util.List;

/** One resource instance a plan changes: its address and Terraform's actions, e.g. ["create"], ["delete","create"]. */
public record ResourceChange(String address, List<String> actions) {

    public ResourceChange {
        actions = List.copyOf(actions);
    }

    public boolean isReplace() {
        return actions.contains("create") && actions.contains("delete");
    }

    /** The symbol Terraform prints for the change: + create, - destroy, ~ update, -/+ replace. */
    public String symbol() {
        if (isReplace()) {
            return actions.get(0).equals("delete") ? "-/+" : "+/-";
        }
        return switch (actions.get(0)) {
            case "create" -> "+";
            case "delete" -> "-";
            case "update" -> "~";
            case "read" -> "<=";
            default -> " ";
        };
    }
}
