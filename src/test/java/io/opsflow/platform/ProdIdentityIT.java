package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.authorization.Groups;
import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.spring.boot.starter.webapp.filter.LazyInitRegistration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import io.opsflow.OpsflowApplication;
import io.opsflow.testsupport.RealComponent;

/**
 * Issue 10: a database that once ran in sandbox mode keeps {@code admin/admin} and the sandbox users. A later start
 * with {@code postgres,prod} must make the configured admin password the one that works, and must refuse to run
 * with users whose password is their user id unless told to delete them. On the real PostgreSQL, in a database of
 * its own that is dropped at the end.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProdIdentityIT {
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN_PASSWORD = "prod-" + UUID.randomUUID();
    private static final String ALICE_PASSWORD = "alice-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aProdStartAfterASandboxStartOnTheSameDatabaseOnlyAcceptsTheConfiguredAdmin(@TempDir Path var,
                                                                                  CapturedOutput output)
            throws Exception {
        boolean reachable;
        try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", "")) {
            reachable = c.isValid(2);
        } catch (Exception e) {
            reachable = false;
        }
        RealComponent.available(reachable, "PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth)");

        String db = "opsflow_prodidentity_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        sql("CREATE DATABASE " + db);
        try {
            // (a) sandbox mode (default profile) on this database: admin/admin and the sandbox users are created
            try (ConfigurableApplicationContext app = boot(var, db, new String[] {"postgres"},
                    "opsflow.security.sandbox-users=true")) {
                IdentityService ids = app.getBean(IdentityService.class);
                assertThat(ids.createUserQuery().list()).extracting(User::getId)
                        .contains("admin", "operator", "approver", "approver2");
                // someone added a user with a real password, and one with password = user id
                user(ids, "alice", ALICE_PASSWORD);
                user(ids, "bob", "bob");
            }

            // (b) prod: refused, naming every user whose password is its user id; the admin is not one of them
            assertThatThrownBy(() -> boot(var, db, new String[] {"postgres", "prod"},
                    "camunda.bpm.admin-user.password=" + ADMIN_PASSWORD).close())
                    .satisfies(e -> assertThat(messages(e))
                            .contains("prod profile: sandbox users with default passwords")
                            .contains("found in the database: approver, approver2, bob, operator.")
                            .contains("opsflow.security.remove-sandbox-users=true")
                            .doesNotContain("alice").doesNotContain("admin,"));
            forgetFailedContext();

            // (c) prod, told to delete them: starts; only the configured admin password works
            try (ConfigurableApplicationContext app = boot(var, db, new String[] {"postgres", "prod"},
                    "camunda.bpm.admin-user.password=" + ADMIN_PASSWORD,
                    "opsflow.security.remove-sandbox-users=true")) {
                int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
                IdentityService ids = app.getBean(IdentityService.class);
                assertThat(ids.createUserQuery().orderByUserId().asc().list()).extracting(User::getId)
                        .containsExactly("admin", "alice");
                assertThat(ids.createUserQuery().userId("admin").memberOfGroup(Groups.CAMUNDA_ADMIN).count())
                        .isOne();

                // every user logs in at most once with a wrong password, last (a failed login throttles that user)
                HttpResponse<String> asAdmin = get(port, "/engine-rest/user", "admin", ADMIN_PASSWORD);
                assertThat(asAdmin.statusCode()).as(asAdmin.body()).isEqualTo(200);
                assertThat(asAdmin.body()).contains("\"id\":\"admin\"").contains("\"id\":\"alice\"")
                        .doesNotContain("\"id\":\"operator\"");
                assertThat(get(port, "/engine-rest/user", "alice", ALICE_PASSWORD).statusCode()).isEqualTo(200);
                for (String gone : List.of("operator", "approver", "approver2", "bob")) {
                    assertThat(get(port, "/engine-rest/user", gone, gone).statusCode()).as(gone).isEqualTo(401);
                }
                assertThat(get(port, "/engine-rest/user", "admin", "admin").statusCode()).isEqualTo(401);
            }

            assertThat(output.getAll())
                    .contains("admin user 'admin' existed in the database with another password; its password was"
                            + " reset to the configured one")
                    .contains("deleted sandbox user 'operator'").contains("deleted sandbox user 'bob'")
                    .doesNotContain(ADMIN_PASSWORD).doesNotContain(ALICE_PASSWORD);
        } finally {
            forgetFailedContext();
            sql("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    /**
     * The refused start fails inside the context refresh (before the web server opens its port), so no
     * ContextClosedEvent is published and the Camunda webapp starter's static {@link LazyInitRegistration} keeps
     * pointing at that dead context: the next context in this JVM would fail to start its webapp filters
     * ("has not been refreshed yet"). A production JVM exits after a refused start; a test JVM forgets it here.
     */
    private static void forgetFailedContext() {
        new LazyInitRegistration().setApplicationContext(null);
    }

    /** Boots the application on the given PostgreSQL database; settings as command-line arguments. */
    private static ConfigurableApplicationContext boot(Path var, String db, String[] profiles, String... props) {
        String[] args = Stream.concat(Stream.of("server.port=0", "server.address=127.0.0.1",
                        "opsflow.sandbox.enabled=false", "opsflow.var-dir=" + var,
                        "camunda.bpm.job-execution.enabled=false",
                        "spring.datasource.url=" + PG + db, "spring.datasource.username=postgres",
                        "spring.datasource.password="),
                Stream.of(props)).map(p -> "--" + p).toArray(String[]::new);
        return new SpringApplicationBuilder(OpsflowApplication.class).profiles(profiles).run(args);
    }

    private static void user(IdentityService ids, String id, String password) {
        User u = ids.newUser(id);
        u.setPassword(password);
        ids.saveUser(u);
    }

    private HttpResponse<String> get(int port, String path, String user, String password) throws Exception {
        String token = Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(30)).header("Authorization", "Basic " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The messages of an exception and its causes, one a line. */
    private static String messages(Throwable e) {
        List<String> all = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.add(t.getClass().getName() + ": " + t.getMessage());
        }
        return String.join("\n", all);
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
