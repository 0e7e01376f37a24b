package io.opsflow.sandbox;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.step.exec.SecretRef;

/**
 * Sandbox only: makes sure the databases the sandbox environments declare ({@code opsflow.environments.<env>.databases},
 * by default on the local PostgreSQL) exist, so backup, restore and migration runbooks have something real to work
 * on. When the server is not reachable it says so once and changes nothing; the database steps then fail with their
 * own clear message — nothing pretends.
 */
public class SandboxDatabases {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxDatabases.class);
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_]{1,63}");
    private final Environments environments;

    public SandboxDatabases(Environments environments) {
        this.environments = environments;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void ensureDatabases() {
        for (Environment env : environments.all()) {
            for (Environment.Database db : env.databases()) {
                if (!SAFE.matcher(db.database()).matches()) {
                    continue;
                }
                try {
                    if ("postgres".equals(db.kind())) {
                        ensure("jdbc:postgresql://" + db.host() + ":" + db.port() + "/postgres", db,
                                "SELECT 1 FROM pg_database WHERE datname = '" + db.database() + "'",
                                "CREATE DATABASE \"" + db.database() + "\"");
                    } else if ("mariadb".equals(db.kind())) {
                        ensure("jdbc:mariadb://" + db.host() + ":" + db.port() + "/", db,
                                "SELECT 1 FROM information_schema.schemata WHERE schema_name = '" + db.database() + "'",
                                "CREATE DATABASE `" + db.database() + "`");
                    }
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("sandbox database {}/{} ({} at {}:{}) is not available: {}. Backup, restore and "
                            + "migration runbooks of {} will fail until it is.", env.name(), db.name(), db.kind(),
                            db.host(), db.port(), e.getMessage(), env.name());
                }
            }
        }
    }

    private static void ensure(String url, Environment.Database db, String exists, String create) throws SQLException {
        String password = db.passwordRef() == null ? "" : SecretRef.parse(db.passwordRef()).resolve();
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(url, db.user(), password); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(exists)) {
                if (rs.next()) {
                    return;
                }
            }
            s.execute(create);
            LOG.info("sandbox: created {} database {}", db.kind(), db.database());
        }
    }
}
