package io.opsflow.scale;

import java.util.List;

/**
 * What a scale run will do: from {@code previousCount} to {@code targetCount} instances by adding or removing the
 * given placements, or why it refuses.
 */
public record ScalePlan(Direction direction, int previousCount, int targetCount, int capacity, List<Placement> add,
                        List<Placement> remove, String refusal) {

    public enum Direction {
        UP, DOWN, NONE, REFUSED;

        public String variableValue() {
            return name().toLowerCase();
        }
    }

    public ScalePlan {
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    static ScalePlan refused(int previous, int target, int capacity, String why) {
        return new ScalePlan(Direction.REFUSED, previous, target, capacity, List.of(), List.of(), why);
    }

    /** For the approver and the run's variables. */
    public String describe(String environment, String application, String version) {
        StringBuilder b = new StringBuilder();
        b.append(application).append(" in ").append(environment).append(": ").append(previousCount).append(" -> ")
                .append(targetCount).append(" instance(s) (capacity ").append(capacity).append(")");
        if (version != null) {
            b.append(", version ").append(version);
        }
        switch (direction) {
            case UP -> add.forEach(p -> b.append("\n+ start ").append(p.instance()).append(" on ").append(p.host())
                    .append(", register it in the load balancer"));
            case DOWN -> remove.forEach(p -> b.append("\n- drain ").append(p.instance()).append(" on ")
                    .append(p.host()).append(", wait for in-flight requests, stop it, deregister it"));
            case NONE -> b.append("\nnothing to do");
            case REFUSED -> b.append("\nrefused: ").append(refusal);
        }
        return b.toString();
    }
}
