package io.opsflow.logs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads collected lines one at a time (memory bounded by hosts × minutes and the number of distinct signatures,
 * never by the number of lines) and produces a {@link LogReport}: errors per host and minute, top error signatures,
 * 5xx answers of the load balancer per host and minute, slow requests, counts of the caller's patterns, and the
 * first error of each host set against opsflow's own changes ({@link Moment}s).
 */
final class LogAnalyzer {
    static final int TOP_SIGNATURES = 10;
    static final int SLOWEST = 10;
    static final int MAX_SIGNATURES = 5000;

    private final Instant from;
    private final Instant to;
    private final int minutes;
    private final long slowMs;
    private final LogPatterns patterns;
    private final Map<String, HostAcc> hosts = new LinkedHashMap<>();
    private final Map<String, SigAcc> signatures = new LinkedHashMap<>();
    private final List<LogReport.SlowRequest> slowest = new ArrayList<>();
    private final Map<String, Long> patternCounts = new LinkedHashMap<>();
    private long unparsed;
    private boolean signaturesCapped;
    /** opsflow's changes in the window, in time order, and per host and change the first error after it. */
    private final List<Moment> moments;
    private final Map<String, Instant[]> firstErrorAfter = new LinkedHashMap<>();
    private final Map<String, boolean[]> failingBefore = new LinkedHashMap<>();
    /** Errors this close before a change mean the host was failing already: "continued", not "began". */
    static final Duration ALREADY_FAILING = Duration.ofSeconds(5);

    LogAnalyzer(Instant from, Instant to, long slowMs, LogPatterns patterns, List<String> expectedHosts) {
        this(from, to, slowMs, patterns, expectedHosts, List.of());
    }

    LogAnalyzer(Instant from, Instant to, long slowMs, LogPatterns patterns, List<String> expectedHosts,
                List<Moment> changes) {
        this.from = from;
        this.to = to;
        this.moments = changes.stream().filter(m -> !m.time().isBefore(from) && !m.time().isAfter(to))
                .sorted(Comparator.comparing(Moment::time)).toList();
        this.minutes = (int) Math.max(1, (Duration.between(from, to).toSeconds() + 59) / 60);
        this.slowMs = slowMs;
        this.patterns = patterns;
        patterns.patterns().forEach(p -> patternCounts.put(p, 0L));
        expectedHosts.forEach(this::host);
    }

    private HostAcc host(String name) {
        return hosts.computeIfAbsent(name, n -> new HostAcc(minutes));
    }

    /** One stored line ({@code <host>\t<source>\t<line>}). */
    void accept(String stored) {
        LogLine l = LogLine.parse(stored);
        if (l == null) {
            unparsed++;
            return;
        }
        accept(l);
    }

    void accept(LogLine l) {
        if (l.time().isBefore(from) || l.time().isAfter(to)) {
            return;
        }
        HostAcc h = host(l.host());
        h.lines++;
        int minute = (int) Math.min(minutes - 1, Duration.between(from, l.time()).toSeconds() / 60);
        if (l.error()) {
            h.errors++;
            h.errorsPerMinute[minute]++;
            if (h.firstError == null || l.time().isBefore(h.firstError)) {
                h.firstError = l.time();
            }
            afterChanges(l.host(), l.time());
            String sig = Signatures.of(l.message());
            SigAcc s = signatures.get(sig);
            if (s == null && signatures.size() >= MAX_SIGNATURES) {
                signaturesCapped = true;
                sig = "(other signatures)";
                s = signatures.get(sig);
            }
            if (s == null) {
                s = new SigAcc(l.message().length() > 300 ? l.message().substring(0, 300) : l.message());
                signatures.put(sig, s);
            }
            s.count++;
            s.hosts.add(l.host());
            s.first = s.first == null || l.time().isBefore(s.first) ? l.time() : s.first;
            s.last = s.last == null || l.time().isAfter(s.last) ? l.time() : s.last;
        }
        if (l.kind() == LogLine.Kind.LB && l.serverError()) {
            h.lb5xx++;
            h.lb5xxPerMinute[minute]++;
        }
        if ((l.kind() == LogLine.Kind.ACCESS || l.kind() == LogLine.Kind.LB) && l.durationMs() != null
                && l.durationMs() >= slowMs) {
            h.slow++;
            slowest.add(new LogReport.SlowRequest(l.host(), l.time(), l.request(), l.status(), l.durationMs(),
                    l.source()));
            slowest.sort(Comparator.comparingLong(LogReport.SlowRequest::durationMs).reversed());
            if (slowest.size() > SLOWEST) {
                slowest.remove(slowest.size() - 1);
            }
        }
        if (!patterns.isEmpty()) {
            for (String p : patterns.matching(l.message())) {
                patternCounts.merge(p, 1L, Long::sum);
            }
        }
    }

    /**
     * Sets the error against the changes to its host: it is the first error after the latest change that was not an
     * undo (at or before it), and marks the changes it came shortly before ({@link #ALREADY_FAILING}).
     */
    private void afterChanges(String host, Instant t) {
        if (moments.isEmpty()) {
            return;
        }
        Instant[] first = firstErrorAfter.computeIfAbsent(host, k -> new Instant[moments.size()]);
        boolean[] before = failingBefore.computeIfAbsent(host, k -> new boolean[moments.size()]);
        int cause = -1;
        for (int i = 0; i < moments.size(); i++) {
            Moment m = moments.get(i);
            if (!m.concerns(host)) {
                continue;
            }
            if (!m.time().isAfter(t)) {
                if (!m.undo()) {
                    cause = i;
                }
            } else if (!m.time().minus(ALREADY_FAILING).isAfter(t)) {
                before[i] = true;
            }
        }
        if (cause >= 0 && (first[cause] == null || t.isBefore(first[cause]))) {
            first[cause] = t;
        }
    }

    LogReport report(String runId, String environment, String application, String source, List<String> notes) {
        List<LogReport.HostSummary> hs = new ArrayList<>();
        hosts.forEach((name, h) -> hs.add(new LogReport.HostSummary(name, h.lines, h.errors, h.lb5xx, h.slow,
                h.firstError, longs(h.errorsPerMinute), longs(h.lb5xxPerMinute))));
        List<LogReport.SignatureCount> top = signatures.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, SigAcc> e) -> e.getValue().count).reversed())
                .limit(TOP_SIGNATURES)
                .map(e -> new LogReport.SignatureCount(e.getKey(), e.getValue().count,
                        List.copyOf(new TreeSet<>(e.getValue().hosts)), e.getValue().first, e.getValue().last,
                        e.getValue().example))
                .toList();
        List<LogReport.Correlation> correlations = new ArrayList<>();
        for (LogReport.HostSummary h : hs) {
            if (h.firstError() != null) {
                correlations.addAll(correlate(h.host(), h.firstError()));
            }
        }
        List<String> allNotes = new ArrayList<>(notes);
        if (unparsed > 0) {
            allNotes.add(unparsed + " line(s) without a time stamp (stack traces, unknown formats) were not counted");
        }
        if (signaturesCapped) {
            allNotes.add("more than " + MAX_SIGNATURES + " distinct error signatures: the rest are counted as "
                    + "\"(other signatures)\"");
        }
        LogReport draft = new LogReport(runId, environment, application, source, from, to, Instant.now(), slowMs, hs,
                top, List.copyOf(slowest), moments, correlations, Map.copyOf(patternCounts), "", allNotes);
        return new LogReport(runId, environment, application, source, from, to, draft.generatedAt(), slowMs, hs, top,
                List.copyOf(slowest), moments, correlations, new LinkedHashMap<>(patternCounts), summary(draft),
                allNotes);
    }

    /**
     * The host's errors against opsflow's changes: one entry per change (not an undo) after which the host had
     * errors, in time order ("began N s after", or "continued after" when it was failing just before); when no
     * change came before its first error, one entry saying so.
     */
    List<LogReport.Correlation> correlate(String host, Instant firstError) {
        List<LogReport.Correlation> out = new ArrayList<>();
        Instant[] first = firstErrorAfter.get(host);
        boolean[] before = failingBefore.get(host);
        for (int i = 0; first != null && i < moments.size(); i++) {
            if (first[i] == null) {
                continue;
            }
            Moment m = moments.get(i);
            long s = Duration.between(m.time(), first[i]).toSeconds();
            String sentence = before[i]
                    ? "errors on " + host + " continued after " + m.runLabel() + " " + m.action() + " (failing before it)"
                    : "errors on " + host + " began " + s + " s after " + m.runLabel() + " " + m.action();
            out.add(new LogReport.Correlation(host, first[i], m.runId(), m.runbook(), m.action(), s, sentence));
        }
        if (out.isEmpty() || out.get(0).firstError().isAfter(firstError)) {
            out.add(0, new LogReport.Correlation(host, firstError, null, null, null, -1, "errors on " + host
                    + " began at " + firstError + "; opsflow made no release, restart or scale change to it in the"
                    + " window before that"));
        }
        return out;
    }

    static String summary(LogReport r) {
        StringBuilder b = new StringBuilder();
        long errors = r.totalErrors();
        long withErrors = r.hosts().stream().filter(h -> h.errors() > 0).count();
        b.append(errors).append(" error line(s) on ").append(withErrors).append(" of ").append(r.hosts().size())
                .append(" host(s) in ").append(r.environment()).append(" between ").append(r.from()).append(" and ")
                .append(r.to()).append(" (source: ").append(r.source()).append(")");
        if (!r.topSignatures().isEmpty()) {
            LogReport.SignatureCount top = r.topSignatures().get(0);
            b.append(". Top error signature (").append(top.count()).append("x on ")
                    .append(String.join(", ", top.hosts())).append("): ").append(top.signature());
        }
        r.correlations().stream().limit(10).forEach(c -> b.append(". ").append(c.sentence().substring(0, 1)
                .toUpperCase()).append(c.sentence().substring(1)));
        if (r.correlations().size() > 10) {
            b.append(". (").append(r.correlations().size() - 10).append(" more in the report)");
        }
        long lb5xx = r.hosts().stream().mapToLong(LogReport.HostSummary::lb5xx).sum();
        long slow = r.hosts().stream().mapToLong(LogReport.HostSummary::slowRequests).sum();
        b.append(". Load balancer 5xx: ").append(lb5xx).append("; slow requests (>= ").append(r.slowThresholdMs())
                .append(" ms): ").append(slow).append(".");
        String s = b.toString();
        return s.length() > 3800 ? s.substring(0, 3799) + "…" : s;
    }

    private static List<Long> longs(long[] a) {
        List<Long> l = new ArrayList<>(a.length);
        for (long v : a) {
            l.add(v);
        }
        return l;
    }

    private static final class HostAcc {
        long lines;
        long errors;
        long lb5xx;
        long slow;
        Instant firstError;
        final long[] errorsPerMinute;
        final long[] lb5xxPerMinute;

        HostAcc(int minutes) {
            errorsPerMinute = new long[minutes];
            lb5xxPerMinute = new long[minutes];
        }
    }

    private static final class SigAcc {
        final String example;
        long count;
        final Set<String> hosts = new LinkedHashSet<>();
        Instant first;
        Instant last;

        SigAcc(String example) {
            this.example = example;
        }
    }
}
