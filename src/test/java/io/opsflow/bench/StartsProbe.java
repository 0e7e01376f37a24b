package io.opsflow.bench;

import java.util.Map;

import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * Where the time of a runbook start goes on PostgreSQL (docs/BENCHMARKS.md, "Starts and memory"): no-op starts per
 * second and, from {@code pg_stat_database}, commits and rows written per start, for engines built side by side in
 * one JVM, one at a time, each on a fresh database. Modes ({@code -Dmodes=a,b}): {@code bare} (engine without
 * opsflow's plugin) or {@code plat}; {@code -sa} standalone engine or {@code -sp} Spring transactions (as the
 * application); suffix {@code -rt0}: history removal time off (what-if). {@code -Done=true}: two starts per mode,
 * for the SQL each one runs (with a logback config that logs {@code org.camunda.bpm.engine.persistence} and
 * {@code org.springframework.jdbc.core.JdbcTemplate} at DEBUG). Not part of {@code bench/run}; run with its classpath:
 * {@code java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" io.opsflow.bench.StartsProbe}.
 */
public final class StartsProbe {
    static long[] stats() throws Exception {
        try (var c = java.sql.DriverManager.getConnection(EngineCases.PG_URL + "postgres", "postgres", "");
             var st = c.createStatement();
             var rs = st.executeQuery("select xact_commit, tup_inserted, tup_deleted, tup_updated, tup_fetched, tup_returned from pg_stat_database where datname='" + EngineCases.PG_DB + "'")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)};
        }
    }

    public static void main(String[] args) throws Exception {
        if (Boolean.getBoolean("one")) {
            for (String m : System.getProperty("modes", "bare-sp,plat-sp").split(",")) {
                EngineCases.freshDatabase();
                boolean platform = m.startsWith("plat");
                try (BenchEngine e = BenchEngine.build(EngineCases.pg(), platform, Map.of("noop", (JavaDelegate) x -> { }),
                        platform, m.endsWith("sp"))) {
                    e.engine.getRuntimeService().startProcessInstanceByKey("bench-noop");
                    System.out.println("===== " + m);
                    e.engine.getRuntimeService().startProcessInstanceByKey("bench-noop");
                    System.out.println("===== end " + m);
                }
            }
            return;
        }
        double secs = Double.parseDouble(System.getProperty("secs", "5"));
        int rounds = Integer.getInteger("rounds", 2);
        String[] modes = System.getProperty("modes", "bare-sa,plat-sa,bare-sp,plat-sp").split(",");
        for (int r = 0; r < rounds; r++) {
            for (String m : modes) {
                EngineCases.freshDatabase();
                boolean platform = m.startsWith("plat");
                boolean spring = m.contains("-sp");
                if (m.endsWith("-rt0")) {
                    System.setProperty("opsflow.bench.removal-time", "none");
                } else {
                    System.clearProperty("opsflow.bench.removal-time");
                }
                try (BenchEngine e = BenchEngine.build(EngineCases.pg(), platform, Map.of("noop", (JavaDelegate) x -> { }),
                        platform, spring)) {
                    EngineCases.startsPerSecond(e, 1.0);
                    long n0 = e.engine.getHistoryService().createHistoricProcessInstanceQuery().count();
                    Thread.sleep(1500);
                    long[] a = stats();
                    double s = EngineCases.startsPerSecond(e, secs);
                    long n = e.engine.getHistoryService().createHistoricProcessInstanceQuery().count() - n0;
                    Thread.sleep(1500);
                    long[] b = stats();
                    System.out.printf("round %d %-8s %.1f/s  per start: commits %.2f inserted %.2f deleted %.2f updated %.2f fetched %.2f returned %.2f%n",
                            r, m, s, (b[0] - a[0]) / (double) n, (b[1] - a[1]) / (double) n, (b[2] - a[2]) / (double) n,
                            (b[3] - a[3]) / (double) n, (b[4] - a[4]) / (double) n, (b[5] - a[5]) / (double) n);
                }
            }
        }
    }
}
