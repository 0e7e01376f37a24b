package io.opsflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Where the time of one rolling release went, from what the run itself recorded: the history's activity instances
 * (durations of the steps, batches, approval) and the step logs ({@code /api/runs/{id}/logs}, as
 * {@code bench/fleet-soak --dump} saved them: every SSH command with the host and {@code exit N after M ms}, every
 * health probe).
 *
 * <p><b>Floor of a batch</b>: the slowest host's {@code release-activate.sh} time (the command as it ran on the host:
 * install, switch, restart, its own wait for the health path; from the step log's {@code exit 0 after M ms} on a
 * pooled connection) plus the health gate's minimum: from the gate's first log line to the last instance's
 * {@code /health} probe passing (one round of version + health probes per instance when every instance answered at
 * the first attempt). What a batch could not go below with all its hosts at once; drain, undrain, worker checks and
 * the engine's hand-over between the steps are above it.
 */
final class ReleaseBreakdown {
    private static final DateTimeFormatter CAMUNDA = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    private static final Pattern CMD = Pattern.compile("^(\\S+) \\[cmd\\] \\$ ssh \\S+@(\\S+) (\\S+)(.*)$");
    private static final Pattern EXIT = Pattern.compile("^(\\S+) \\[cmd\\] (\\S+): exit (-?\\d+) after (\\d+) ms$");
    private static final Pattern HEALTHY = Pattern.compile("^(\\S+) \\[step\\] (\\S+)/health: HEALTHY after 1 "
            + "attempt\\(s\\)$");

    /** One batch: step durations and the host-side parts (ms). */
    record Batch(Map<String, Double> parts) {
    }

    private final String name;
    private final double totalSeconds;
    private final double evidenceSeconds;
    private final double approvalSeconds;
    private final double batchPhaseSeconds;
    private final double afterBatchesSeconds;
    private final List<Batch> batches;

    private ReleaseBreakdown(String name, double totalSeconds, double evidenceSeconds, double approvalSeconds,
                             double batchPhaseSeconds, double afterBatchesSeconds, List<Batch> batches) {
        this.name = name;
        this.totalSeconds = totalSeconds;
        this.evidenceSeconds = evidenceSeconds;
        this.approvalSeconds = approvalSeconds;
        this.batchPhaseSeconds = batchPhaseSeconds;
        this.afterBatchesSeconds = afterBatchesSeconds;
        this.batches = batches;
    }

    /** Reads {@code <dump>/<name>.activities.json} and {@code <dump>/<name>.logs/}. */
    static ReleaseBreakdown read(Path dump, String name, double totalSeconds) throws IOException {
        JsonNode acts = new ObjectMapper().readTree(dump.resolve(name + ".activities.json").toFile());
        List<JsonNode> all = new ArrayList<>();
        acts.forEach(all::add);
        all.sort(Comparator.comparing(a -> a.path("startTime").asText()));
        JsonNode body = one(all, "SubProcess_Batch#multiInstanceBody");
        Instant runEnd = all.stream().filter(a -> !a.path("endTime").isNull()).map(a -> time(a, "endTime"))
                .max(Comparator.naturalOrder()).orElseThrow();
        List<Batch> batches = new ArrayList<>();
        Path logs = dump.resolve(name + ".logs");
        for (JsonNode batch : all) {
            if (!batch.path("activityId").asText().equals("SubProcess_Batch")) {
                continue;
            }
            String id = batch.path("id").asText();
            JsonNode activate = child(all, id, "Task_ActivateBatch");
            JsonNode gate = child(all, id, "Task_HealthGate");
            Map<String, Double> p = new LinkedHashMap<>();
            double batchMs = batch.path("durationInMillis").asDouble();
            double activateMs = activate.path("durationInMillis").asDouble();
            double gateMs = gate.path("durationInMillis").asDouble();
            p.put("batch", batchMs);
            p.put("activate_step", activateMs);
            p.put("health_gate_step", gateMs);
            p.put("engine_between_steps", batchMs - activateMs - gateMs);
            Hosts a = hosts(log(logs, activate));
            Hosts g = hosts(log(logs, gate));
            p.put("slowest_host_activation", a.max("release-activate.sh"));
            p.put("gate_one_probe_round", g.lastHealthyMs);
            p.put("floor", a.max("release-activate.sh") + g.lastHealthyMs);
            p.put("host_activation", a.median("release-activate.sh"));
            p.put("host_drain", a.median("lb-ctl.sh"));
            p.put("host_undrain", g.median("lb-ctl.sh"));
            p.put("host_worker_checks", a.median("check") + g.median("check"));
            p.put("activate_step_before_first_command", a.firstCommandMs);
            p.put("gate_step_before_first_probe", g.firstLineToFirstCommandOrProbeMs);
            batches.add(new Batch(p));
        }
        if (batches.isEmpty()) {
            throw new IllegalStateException(name + ": no SubProcess_Batch in the history (not a rolling release?)");
        }
        return new ReleaseBreakdown(name, totalSeconds,
                seconds(optional(all, "Task_GatherEvidence")), seconds(optional(all, "Task_Approve")),
                body.path("durationInMillis").asDouble() / 1000.0,
                (runEnd.toEpochMilli() - time(body, "endTime").toEpochMilli()) / 1000.0, batches);
    }

    double totalSeconds() {
        return totalSeconds;
    }

    double evidenceSeconds() {
        return evidenceSeconds;
    }

    double approvalSeconds() {
        return approvalSeconds;
    }

    double batchPhaseSeconds() {
        return batchPhaseSeconds;
    }

    double afterBatchesSeconds() {
        return afterBatchesSeconds;
    }

    double floorSumSeconds() {
        return batches.stream().mapToDouble(b -> b.parts().get("floor")).sum() / 1000.0;
    }

    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", name);
        m.put("total_s", Bench.round(totalSeconds));
        m.put("evidence_s", Bench.round(evidenceSeconds));
        m.put("approval_s", Bench.round(approvalSeconds));
        m.put("batch_phase_s", Bench.round(batchPhaseSeconds));
        m.put("batch_floors_sum_s", Bench.round(floorSumSeconds()));
        m.put("after_batches_s", Bench.round(afterBatchesSeconds));
        m.put("batches_ms", batches.stream().map(b -> {
            Map<String, Double> r = new LinkedHashMap<>();
            b.parts().forEach((k, v) -> r.put(k, Bench.round(v)));
            return r;
        }).toList());
        return m;
    }

    /** Per part, the median over every batch of every run (ms). */
    static Map<String, Double> medianParts(List<ReleaseBreakdown> runs) {
        Map<String, List<Double>> by = new LinkedHashMap<>();
        runs.forEach(r -> r.batches.forEach(b -> b.parts().forEach((k, v) -> by.computeIfAbsent(k,
                x -> new ArrayList<>()).add(v))));
        Map<String, Double> m = new LinkedHashMap<>();
        by.forEach((k, v) -> m.put(k, Bench.round(Bench.median(v))));
        return m;
    }

    /** Per host of one step log: each kind of command's time, and when the step's first things happened. */
    private static final class Hosts {
        final Map<String, Map<String, Double>> byHost = new TreeMap<>();
        double firstCommandMs = Double.NaN;
        double firstLineToFirstCommandOrProbeMs = Double.NaN;
        double lastHealthyMs = 0;

        double max(String kind) {
            return byHost.values().stream().mapToDouble(m -> m.getOrDefault(kind, 0.0)).max().orElse(0);
        }

        double median(String kind) {
            return Bench.median(byHost.values().stream().map(m -> m.getOrDefault(kind, 0.0)).toList());
        }
    }

    private static Hosts hosts(List<String> lines) {
        Hosts h = new Hosts();
        Map<String, String> running = new LinkedHashMap<>();
        Instant first = null;
        for (String line : lines) {
            int sp = line.indexOf(' ');
            if (sp < 0) {
                continue;
            }
            Instant t;
            try {
                t = Instant.parse(line.substring(0, sp));
            } catch (RuntimeException e) {
                continue; // a continuation line of a multi-line output
            }
            if (first == null) {
                first = t;
            }
            Matcher m = CMD.matcher(line);
            if (m.matches()) {
                // a worker's copy is named <script>-<sha256> (WorkerScripts); find is the sweep of its old versions
                String cmd = m.group(3).substring(m.group(3).lastIndexOf('/') + 1).replaceFirst("-[0-9a-f]{64}$", "");
                running.put(m.group(2), cmd.equals("sha256sum") || cmd.equals("mv") || cmd.equals("find") ? "check"
                        : cmd);
                if (Double.isNaN(h.firstCommandMs)) {
                    h.firstCommandMs = ms(first, t);
                }
                if (Double.isNaN(h.firstLineToFirstCommandOrProbeMs)) {
                    h.firstLineToFirstCommandOrProbeMs = ms(first, t);
                }
                continue;
            }
            m = EXIT.matcher(line);
            if (m.matches() && running.containsKey(m.group(2))) {
                h.byHost.computeIfAbsent(m.group(2), k -> new LinkedHashMap<>()).merge(running.get(m.group(2)),
                        Double.parseDouble(m.group(4)), Double::sum);
                continue;
            }
            if (line.contains(" [step] GET ") && Double.isNaN(h.firstLineToFirstCommandOrProbeMs)) {
                h.firstLineToFirstCommandOrProbeMs = ms(first, t);
            }
            m = HEALTHY.matcher(line);
            if (m.matches()) {
                h.lastHealthyMs = Math.max(h.lastHealthyMs, ms(first, t));
            }
        }
        return h;
    }

    private static double ms(Instant a, Instant b) {
        return (b.toEpochMilli() - a.toEpochMilli()) + ((b.getNano() % 1_000_000) - (a.getNano() % 1_000_000)) / 1e6;
    }

    private static List<String> log(Path logs, JsonNode activity) throws IOException {
        Path f = logs.resolve(activity.path("id").asText().replace(':', '_') + ".log");
        if (!Files.exists(f)) {
            throw new IllegalStateException("no step log " + f + " for " + activity.path("id").asText());
        }
        return Files.readAllLines(f);
    }

    private static JsonNode one(List<JsonNode> all, String activityId) {
        return all.stream().filter(a -> a.path("activityId").asText().equals(activityId)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + activityId + " in the history"));
    }

    private static JsonNode optional(List<JsonNode> all, String activityId) {
        return all.stream().filter(a -> a.path("activityId").asText().equals(activityId)).findFirst().orElse(null);
    }

    private static JsonNode child(List<JsonNode> all, String parent, String activityId) {
        return all.stream().filter(a -> a.path("activityId").asText().equals(activityId)
                && a.path("parentActivityInstanceId").asText().equals(parent)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + activityId + " in batch " + parent));
    }

    private static double seconds(JsonNode a) {
        return a == null ? 0 : a.path("durationInMillis").asDouble() / 1000.0;
    }

    private static Instant time(JsonNode a, String field) {
        return OffsetDateTime.parse(a.path(field).asText(), CAMUNDA).toInstant();
    }
}
