package io.opsflow.release;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plan of a release, computed once from the observed fleet before approval (it is what the approver signs off)
 * and read by every later step: which instance on which host goes from which version to which, in which batch.
 */
public record ReleasePlan(String strategy, String version, String previousColour, String targetColour,
                          List<PlanEntry> entries, List<String> skippedHosts) {

    public static final String ROLLING = "rolling";
    public static final String BLUE_GREEN = "blue-green";
    public static final String CANARY = "canary";

    public ReleasePlan {
        entries = List.copyOf(entries);
        skippedHosts = List.copyOf(skippedHosts);
    }

    /** Splits hosts into consecutive batches of at most {@code batchSize}. */
    public static List<List<String>> batches(List<String> hosts, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1 (got " + batchSize + ")");
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i += batchSize) {
            out.add(List.copyOf(hosts.subList(i, Math.min(hosts.size(), i + batchSize))));
        }
        return out;
    }

    /**
     * Plans a release of {@code version} with the strategy over the hosts where the application is live.
     *
     * @throws ReleaseNotPossibleException when the application is live on no host, or blue-green cannot tell the
     *                                     colours apart
     */
    public static ReleasePlan forRelease(FleetState fleet, String application, String strategy, String version,
                                         List<List<String>> batches) {
        List<String> live = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String h : fleet.hosts()) {
            (fleet.live(h).isPresent() ? live : skipped).add(h);
        }
        if (live.isEmpty()) {
            throw new ReleaseNotPossibleException(application + " is not deployed on any host of the environment "
                    + "(hosts: " + fleet.hosts() + "); deploy it first with the deploy-application runbook");
        }
        Map<String, Integer> batchOf = new LinkedHashMap<>();
        for (int b = 0; b < batches.size(); b++) {
            for (String h : batches.get(b)) {
                batchOf.put(h, b);
            }
        }
        String previousColour = null;
        String targetColour = null;
        if (BLUE_GREEN.equals(strategy)) {
            previousColour = fleet.activeColour() != null ? fleet.activeColour()
                    : fleet.live(live.get(0)).orElseThrow().instance();
            if (!"blue".equals(previousColour) && !"green".equals(previousColour)) {
                throw new ReleaseNotPossibleException("blue-green needs instances named blue and green; " + application
                        + " serves from instance '" + previousColour + "'. Use rolling or canary.");
            }
            targetColour = "blue".equals(previousColour) ? "green" : "blue";
        }
        List<PlanEntry> entries = new ArrayList<>();
        for (String h : live) {
            InstanceState cur = fleet.live(h).orElseThrow();
            if (BLUE_GREEN.equals(strategy)) {
                if (!cur.instance().equals(previousColour)) {
                    throw new ReleaseNotPossibleException("blue-green: host " + h + " serves " + application
                            + " from instance '" + cur.instance() + "', the others from '" + previousColour
                            + "'. Bring the hosts to one colour first.");
                }
                Optional<InstanceState> idle = fleet.instance(h, targetColour);
                entries.add(new PlanEntry(h, targetColour, cur.instance(), cur.version(),
                        idle.map(InstanceState::version).orElse(null), version, 0));
            } else {
                Integer b = batchOf.get(h);
                if (b == null) {
                    throw new IllegalArgumentException("host " + h + " is in no batch " + batches);
                }
                entries.add(new PlanEntry(h, cur.instance(), cur.instance(), cur.version(), cur.version(), version,
                        b));
            }
        }
        return new ReleasePlan(strategy, version, previousColour, targetColour, entries, skipped);
    }

    /** Entries of one batch in host order. */
    public List<PlanEntry> batch(int index) {
        return entries.stream().filter(e -> e.batch() == index).toList();
    }

    public int batchCount() {
        return entries.stream().mapToInt(PlanEntry::batch).max().orElse(-1) + 1;
    }

    public List<String> hosts() {
        return entries.stream().map(PlanEntry::host).toList();
    }

    public Optional<PlanEntry> entry(String host) {
        return entries.stream().filter(e -> e.host().equals(host)).findFirst();
    }

    /** host → version it served before the release (what a rollback must restore), in host order. */
    public Map<String, String> versionsBefore() {
        Map<String, String> m = new LinkedHashMap<>();
        entries.forEach(e -> m.put(e.host(), e.fromVersion()));
        return m;
    }

    /** Hosts of each batch, for the approver and Cockpit. */
    public List<List<String>> batchHosts() {
        List<List<String>> out = new ArrayList<>();
        for (int b = 0; b < batchCount(); b++) {
            out.add(batch(b).stream().map(PlanEntry::host).toList());
        }
        return out;
    }

    /** Human-readable plan for the approval form. */
    public String describe(String environment, String application) {
        StringBuilder s = new StringBuilder();
        s.append("Release ").append(application).append(' ').append(version).append(" to ").append(environment)
                .append(" (strategy ").append(strategy).append(")\n");
        if (BLUE_GREEN.equals(strategy)) {
            s.append("deploy to the idle colour ").append(targetColour).append(", verify, switch the load balancer from ")
                    .append(previousColour).append(" to ").append(targetColour).append("; ").append(previousColour)
                    .append(" keeps running for instant rollback\n");
            for (PlanEntry e : entries) {
                s.append("  ").append(e.host()).append(": serves ").append(nv(e.fromVersion())).append(" (")
                        .append(e.liveInstance()).append(") -> ").append(e.toVersion()).append(" (")
                        .append(e.instance()).append(", was ").append(nv(e.instancePreviousVersion()))
                        .append(")\n");
            }
        } else {
            for (int b = 0; b < batchCount(); b++) {
                s.append(CANARY.equals(strategy) && b == 0 ? "canary batch" : "batch " + (b + 1)).append(":\n");
                for (PlanEntry e : batch(b)) {
                    s.append("  ").append(e.host()).append(" (").append(e.instance()).append("): ")
                            .append(nv(e.fromVersion())).append(" -> ").append(e.toVersion()).append('\n');
                }
            }
        }
        if (!skippedHosts.isEmpty()) {
            s.append("not deployed there, left alone: ").append(String.join(", ", skippedHosts)).append('\n');
        }
        return s.toString();
    }

    private static String nv(String v) {
        return v == null ? "(none)" : v;
    }
}
