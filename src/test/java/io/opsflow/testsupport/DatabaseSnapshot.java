package io.opsflow.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a real database holds, to compare before and after a run; and one-off statements against it. */
public final class DatabaseSnapshot {
    private DatabaseSnapshot() {
    }

    public static void sql(String url, String user, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * Tables with their columns (name, type, nullability) and every row in key order; of the migrations' history
     * table only which scripts with which checksum (not when).
     */
    public static List<String> of(String url, String user) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, user, "")) {
            String filter = url.startsWith("jdbc:postgresql") ? "table_schema = 'public'" : "table_schema = DATABASE()";
            Map<String, List<String>> tables = new TreeMap<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT table_name, column_name, "
                    + "data_type, is_nullable FROM information_schema.columns WHERE " + filter
                    + " ORDER BY table_name, column_name")) {
                while (rs.next()) {
                    tables.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2) + ":"
                            + rs.getString(3) + ":" + rs.getString(4));
                }
            }
            for (var e : tables.entrySet()) {
                out.add("table " + e.getKey() + " " + e.getValue());
                if (e.getKey().equals("opsflow_schema_history")) {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                            "SELECT script, sha256 FROM opsflow_schema_history ORDER BY script")) {
                        while (rs.next()) {
                            out.add("history " + rs.getString(1) + " " + rs.getString(2));
                        }
                    }
                    continue;
                }
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + e.getKey()
                        + " ORDER BY 1")) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder(e.getKey()).append(':');
                        for (int i = 1; i <= n; i++) {
                            row.append(rs.getString(i)).append('|');
                        }
                        out.add(row.toString());
                    }
                }
            }
        }
        return out;
    }
}
