package io.opsflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code release_50_hosts_s}: a rolling release over 50 sandbox hosts with batch size 10, parallelism 10, driven end
 * to end through the {@code release-version} runbook over REST, approval included. The booting and driving is
 * {@code bench/fleet-soak}'s ({@code --runs release_rolling --approval --dump}): the jar with a 50-host sandbox
 * environment that requires approval, each release started as {@code operator} and approved as {@code approver}; this
 * case reads the runs' history and step logs that the script dumps ({@link ReleaseBreakdown}) and computes
 * {@code release_50_hosts_over_batch_floors}: the batch phase over the sum of the per-batch floors.
 *
 * <p>Quick: one release; full: three (1.0.0 → 1.1.0 → 1.2.0 → 1.0.0 on the same booted application), medians.
 * {@code --release-compare=PROPERTY=VALUE} (e.g. {@code opsflow.workers.verified-for=PT0S}) boots the application a
 * second time with that property and runs the same releases on it, side by side in the same bench run: the
 * before/after of a change that has a switch.
 */
final class ReleaseCase {
    static final int HOSTS = 50;
    static final int BATCH = 10;
    static final int PARALLELISM = 10;
    private final Bench b;

    ReleaseCase(Bench b) {
        this.b = b;
    }

    void run() throws Exception {
        int reps = b.reps(1, 3);
        String compare = b.options.get("release-compare");
        Map<String, Double> after = measure("", reps, null);
        if (compare != null) {
            Map<String, Double> before = measure("compare_", reps, compare);
            b.put("release_50_hosts_compare_setting", compare);
            b.row("  same release with " + compare, fmt(before.get("total")), fmt(after.get("total")),
                    Bench.ratio(before.get("batch_phase") / after.get("batch_phase")), "(batch phase, with/without)");
        }
    }

    /** One boot, {@code reps} releases; puts the keys (prefixed) and returns the medians used for a comparison. */
    private Map<String, Double> measure(String prefix, int reps, String appProperty) throws Exception {
        Path dir = Files.createTempDirectory(b.work, "release");
        Path out = dir.resolve("fleet-soak.json");
        Path dump = dir.resolve("dump");
        List<String> argv = new ArrayList<>(List.of("bash", "bench/fleet-soak", "--hosts", String.valueOf(HOSTS),
                "--batch", String.valueOf(BATCH), "--parallelism", String.valueOf(PARALLELISM), "--runs",
                "release_rolling", "--releases", String.valueOf(reps), "--approval", "--dump", dump.toString(),
                "--out", out.toString()));
        if (b.options.containsKey("jar")) {
            argv.addAll(List.of("--jar", b.options.get("jar")));
        }
        if (appProperty != null) {
            argv.addAll(List.of("--app-arg", "--" + appProperty));
        }
        long t0 = System.nanoTime();
        Bench.Proc p = Bench.exec(argv, null, 1800);
        double caseSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.print(p.output().lines().map(l -> "   | " + l + "\n").reduce("", String::concat));
        if (p.exit() != 0) {
            throw new IllegalStateException("bench/fleet-soak failed (exit " + p.exit() + "), see its output above");
        }
        JsonNode soak = new ObjectMapper().readTree(out.toFile());
        List<ReleaseBreakdown> runs = new ArrayList<>();
        soak.path("runs").fieldNames().forEachRemaining(name -> {
            try {
                runs.add(ReleaseBreakdown.read(dump, name, soak.path("runs").path(name).path("duration_s")
                        .asDouble()));
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the dump of " + name + ": " + e, e);
            }
        });
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("total", med(runs, r -> r.totalSeconds()));
        m.put("batch_phase", med(runs, r -> r.batchPhaseSeconds()));
        m.put("floors", med(runs, r -> r.floorSumSeconds()));
        m.put("ratio", med(runs, r -> r.batchPhaseSeconds() / r.floorSumSeconds()));
        String k = "release_50_hosts";
        b.put(prefix + k + "_s", m.get("total"));
        b.put(prefix + k + "_over_batch_floors", m.get("ratio"));
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("releases", runs.size());
        detail.put("case_s", Bench.round(caseSeconds));
        detail.put("startup_s", soak.path("startup_s").asDouble());
        detail.put("evidence_s", Bench.round(med(runs, r -> r.evidenceSeconds())));
        detail.put("approval_s", Bench.round(med(runs, r -> r.approvalSeconds())));
        detail.put("batch_phase_s", Bench.round(m.get("batch_phase")));
        detail.put("batch_floors_sum_s", Bench.round(m.get("floors")));
        detail.put("after_batches_s", Bench.round(med(runs, r -> r.afterBatchesSeconds())));
        detail.put("per_batch_ms", ReleaseBreakdown.medianParts(runs));
        detail.put("runs", runs.stream().map(ReleaseBreakdown::summary).toList());
        b.put(prefix + k + "_detail", detail);
        String label = prefix.isEmpty() ? "" : " (" + appProperty + ")";
        b.row("rolling release, 50 hosts, batch 10, approval" + label, fmt(m.get("total")), "-", "-", "(record)");
        b.row("  its batch phase / sum of batch floors" + label, fmt(m.get("batch_phase")), fmt(m.get("floors")),
                Bench.ratio(m.get("ratio")), "(record)");
        System.out.printf("   release: %d run(s), case %.0f s (startup %.0f s); evidence %.1f s, approval %.1f s,"
                        + " batches %.1f s (floors %.1f s), after the batches %.1f s%n", runs.size(), caseSeconds,
                soak.path("startup_s").asDouble(), med(runs, r -> r.evidenceSeconds()),
                med(runs, r -> r.approvalSeconds()), m.get("batch_phase"), m.get("floors"),
                med(runs, r -> r.afterBatchesSeconds()));
        System.out.println("   per batch (ms, medians): " + ReleaseBreakdown.medianParts(runs));
        return m;
    }

    private static double med(List<ReleaseBreakdown> runs, java.util.function.ToDoubleFunction<ReleaseBreakdown> f) {
        return Bench.median(runs.stream().map(r -> f.applyAsDouble(r)).toList());
    }

    private static String fmt(double s) {
        return Bench.fmt(s, "s");
    }
}
